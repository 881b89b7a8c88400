#include "support/gpu_test.hpp"

#include "runtime/instance.hpp"

#include <exception>
#include <memory>
#include <stdexcept>
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
Shared shared, without_subgroups;

runtime::Context* make_once(Shared& s, const runtime::ContextOptions& options) {
  if (!s.tried) {
    s.tried = true;
    try {
      s.context = std::make_unique<runtime::Context>(options);
    } catch (const std::exception& e) {
      s.error = e.what();  // reported by every GPU test, see GpuTest::SetUp
    }
  }
  return s.context.get();
}

runtime::Context* shared_context() { return make_once(shared, {}); }

class SharedContextEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    without_subgroups.context.reset();
    shared.context.reset();
  }
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
  if (without_subgroups.context) expect_no_validation_messages(*without_subgroups.context);
}

runtime::Context& GpuTest::context() { return *shared_context(); }

runtime::Context& GpuTest::context_without_subgroups() {
  runtime::Context* context = make_once(without_subgroups, {.subgroups = false});
  if (!context) throw std::runtime_error("cannot create a Vulkan context without subgroups: " + without_subgroups.error);
  return *context;
}

}  // namespace vulkanite::tests
