#include "support/gpu_test.hpp"

#include "runtime/instance.hpp"

#include <exception>
#include <memory>
#include <string>

namespace vulkanite::tests {
namespace {

// Global on purpose: the Context outlives the tests that share it. It is made at the first
// test that needs it (tests without a GPU never pay for it) and destroyed by the Environment
// below inside RUN_ALL_TESTS, not at exit, while the driver and the validation layer are loaded.
struct Shared {
  std::unique_ptr<runtime::Context> context;
  std::string error;
  bool tried = false;
};
Shared shared;

runtime::Context* shared_context() {
  if (!shared.tried) {
    shared.tried = true;
    try {
      shared.context = std::make_unique<runtime::Context>();
    } catch (const std::exception& e) {
      shared.error = e.what();  // reported by every GPU test, see GpuTest::SetUp
    }
  }
  return shared.context.get();
}

class SharedContextEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { shared.context.reset(); }
};

[[maybe_unused]] ::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new SharedContextEnvironment);

}  // namespace

const std::vector<runtime::DeviceInfo>& devices() {
  static const auto listed = runtime::list_devices(runtime::validation_requested_by_environment());
  return listed;
}

void GpuTest::SetUp() { ASSERT_NE(shared_context(), nullptr) << "cannot create a Vulkan context: " << shared.error; }

void GpuTest::TearDown() {
  if (shared.context) expect_no_validation_messages(*shared.context);
}

runtime::Context& GpuTest::context() { return *shared_context(); }

}  // namespace vulkanite::tests
