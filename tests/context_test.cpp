// runtime::Context: device listing and selection, DeviceInfo, validation messages as errors,
// the install advice when there is no device, and the on-disk pipeline cache.
#include "runtime/context.hpp"

#include "runtime/error.hpp"
#include "runtime/handle.hpp"
#include "runtime/instance.hpp"
#include "runtime/kernel.hpp"
#include "support/env.hpp"
#include "support/gpu_test.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <shaders/copy.spv.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <volk.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The message of the std::runtime_error that constructing a Context with `options` throws.
std::string context_error(const runtime::ContextOptions& options) {
  try {
    runtime::Context context(options);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "Context(device = " << options.device.value_or("(unset)") << ") did not throw";
  return {};
}

// Every device's name must be in an error about choosing one, so the user can pick another.
void expect_lists_every_device(const std::string& message) {
  for (const auto& d : tests::devices()) EXPECT_THAT(message, HasSubstr(std::to_string(d.index) + " = " + d.name));
}

runtime::KernelDesc copy_kernel() { return {"copy", shaders::copy, 2, sizeof(std::uint32_t), 64, {1}}; }

// Breaks VUID-VkBufferCreateInfo-size-00912 (a buffer of 0 bytes) through the raw Vulkan API:
// a real message from the layer, not one the runtime could have made up.
runtime::Unique<VkBuffer> create_an_empty_buffer(VkDevice device) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = 0;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer raw = VK_NULL_HANDLE;
  const VkResult result = vkCreateBuffer(device, &info, nullptr, &raw);
  // The layer may pass the call on to the driver; then the buffer is ours to release.
  return {device, result == VK_SUCCESS ? raw : VK_NULL_HANDLE};
}

TEST(ContextTest, ListsAtLeastOneDeviceWithNameDriverAndVersion) {
  const auto& devices = tests::devices();
  ASSERT_FALSE(devices.empty());
  for (std::uint32_t i = 0; i < devices.size(); ++i) {
    EXPECT_EQ(devices[i].index, i);
    EXPECT_FALSE(devices[i].name.empty());
    EXPECT_FALSE(devices[i].driver_name.empty());
    EXPECT_THAT(devices[i].api_version, ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  }
}

TEST(ContextTest, SelectsTheDeviceByIndex) {
  const auto& devices = tests::devices();
  for (const auto& d : devices) {
    runtime::Context context({.device = std::to_string(d.index)});
    EXPECT_EQ(context.info().index, d.index);
    EXPECT_EQ(context.info().name, d.name);
    tests::expect_no_validation_messages(context);
  }
}

TEST(ContextTest, SelectsTheDeviceByCaseInsensitiveNameSubstring) {
  const auto& devices = tests::devices();
  // The default device's name, upper-cased: the selector must ignore case. Identical GPUs
  // share a name, and then the first of them is the one chosen.
  const std::string selector = upper(runtime::Context().info().name);
  const auto expected = std::find_if(devices.begin(), devices.end(), [&](const auto& d) {
    return lower(d.name).find(lower(selector)) != std::string::npos;
  });
  ASSERT_NE(expected, devices.end());
  runtime::Context context({.device = selector});
  EXPECT_EQ(context.info().index, expected->index);
  EXPECT_EQ(context.info().name, expected->name);
  tests::expect_no_validation_messages(context);
}

TEST(ContextTest, IndexPastTheLastDeviceIsAnErrorListingTheDevices) {
  const std::string index = std::to_string(tests::devices().size());  // one past the end
  const std::string message = context_error({.device = index});
  EXPECT_THAT(message, StartsWith("Vulkan device index " + index + " does not exist; devices:"));
  expect_lists_every_device(message);
}

TEST(ContextTest, UnknownNameIsAnErrorListingTheDevices) {
  const std::string message = context_error({.device = "nosuchdevice"});
  EXPECT_THAT(message, StartsWith("no Vulkan device matches \"nosuchdevice\"; devices:"));
  expect_lists_every_device(message);
}

TEST(ContextTest, VulkaniteDeviceVariableChoosesTheDevice) {
  const tests::ScopedEnv device("VULKANITE_DEVICE", "nosuchdevice-from-env");
  EXPECT_THAT(context_error({}), StartsWith("no Vulkan device matches \"nosuchdevice-from-env\""));
  // An explicit option wins over the variable.
  runtime::Context context({.device = "0"});
  EXPECT_EQ(context.info().index, 0u);
}

// Regression: volk's global pointers follow the newest instance, and list_devices() once made one
// without VK_EXT_debug_utils, so the validated Context's ~Instance called a null
// vkDestroyDebugUtilsMessengerEXT. Each Instance now keeps its own pointer.
TEST(ContextTest, ListingDevicesWhileAValidatedContextLives) {
  runtime::Context context({.validation = true});
  EXPECT_FALSE(runtime::list_devices(/*validation=*/false).empty());
  tests::expect_no_validation_messages(context);
}  // ~Context used to crash here

class ContextInfoTest : public tests::GpuTest {};

// The suite's promise that any validation message fails a test holds only with the layer on:
// ctest sets VULKANITE_VALIDATION=1 (tests/CMakeLists.txt); this fails when it is missing.
TEST_F(ContextInfoTest, TheSharedContextRunsWithTheValidationLayer) {
  // Without the layer, the invalid call below would be undefined behaviour: stop first.
  ASSERT_TRUE(runtime::validation_requested_by_environment())
      << "VULKANITE_VALIDATION is not set: run the tests through ctest, or set VULKANITE_VALIDATION=1";
  const auto buffer = create_an_empty_buffer(context().device());
  EXPECT_THROW(context().throw_on_validation_messages(), runtime::ValidationError);
}

TEST_F(ContextInfoTest, DeviceInfoIsSaneForTheChosenDevice) {
  const auto& devices = tests::devices();
  const auto& info = context().info();
  ASSERT_LT(info.index, devices.size());
  EXPECT_EQ(info.name, devices[info.index].name);
  EXPECT_THAT((std::array<std::string, 5>{"discrete", "integrated", "virtual", "cpu", "other"}),
              ::testing::Contains(info.type));
  EXPECT_FALSE(info.vendor.empty());
  EXPECT_FALSE(info.driver_name.empty());
  EXPECT_GE(info.api_version_raw, VK_API_VERSION_1_2);
  EXPECT_EQ(info.api_version, std::to_string(VK_API_VERSION_MAJOR(info.api_version_raw)) + "." +
                                  std::to_string(VK_API_VERSION_MINOR(info.api_version_raw)) + "." +
                                  std::to_string(VK_API_VERSION_PATCH(info.api_version_raw)));
  EXPECT_GT(info.subgroup_size, 0u);
  EXPECT_EQ(info.subgroup_size & (info.subgroup_size - 1), 0u) << "subgroup size " << info.subgroup_size;
  EXPECT_GE(info.max_workgroup_invocations, 128u);  // the Vulkan minimum
  EXPECT_EQ(info.max_workgroup_invocations, context().limits().maxComputeWorkGroupInvocations);
  // The context prefers a compute queue with timestamps, so it has one when the device has one.
  EXPECT_EQ(info.timestamps, context().queue_has_timestamps());
  if (info.timestamps) {
    EXPECT_GT(info.timestamp_period_ns, 0.0);
  }
  ASSERT_FALSE(info.heaps.empty());
  EXPECT_TRUE(
      std::any_of(info.heaps.begin(), info.heaps.end(), [](const auto& h) { return h.device_local && h.bytes > 0; }));
}

TEST_F(ContextInfoTest, MemoryTypeThatNoTypeHasIsAnError) {
  try {
    context().memory_type(0, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
    FAIL() << "memory_type with no allowed type did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no memory type"));
    EXPECT_THAT(e.what(), HasSubstr(context().info().name));
  }
}

TEST(ContextValidationTest, ValidationMessagesBecomeValidationErrorsOnce) {
  runtime::Context context({.validation = true});
  const auto buffer = create_an_empty_buffer(context.device());
  try {
    context.throw_on_validation_messages();
    FAIL() << "the validation error of vkCreateBuffer(size = 0) was not reported";
  } catch (const runtime::ValidationError& e) {
    EXPECT_THAT(e.what(), AllOf(StartsWith("1 validation message(s):"), HasSubstr("validation error"),
                                HasSubstr("VUID-VkBufferCreateInfo-size-00912")));
  }
  // Reported once: the next check starts afresh.
  EXPECT_NO_THROW(context.throw_on_validation_messages());
}

TEST(ContextNoDeviceTest, CliGivesInstallAdviceWhenThereIsNoVulkanDriver) {
  const tests::TempDir dir;
  const std::string missing = (dir.path() / "no-such-icd.json").string();
  const auto result = tests::run_cli({"devices"}, {{"VK_DRIVER_FILES", missing}, {"VK_ICD_FILENAMES", missing}});
  EXPECT_NE(result.exit_code, 0) << tests::describe(result);
  EXPECT_THAT(result.err, HasSubstr("mesa-vulkan-drivers")) << tests::describe(result);
  EXPECT_EQ(result.out, "");
}

// The header every VkPipelineCache blob starts with (VK_PIPELINE_CACHE_HEADER_VERSION_ONE).
struct CacheHeader {
  std::uint32_t header_size, header_version, vendor_id, device_id;
  std::uint8_t uuid[VK_UUID_SIZE];
};
static_assert(sizeof(CacheHeader) == 32);

std::vector<char> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct CacheRun {
  std::filesystem::path file;
  runtime::DeviceInfo device;
};

// Builds one kernel through the cache in `dir`; the Context writes the cache file when it is destroyed, on return.
CacheRun build_a_kernel_with_cache_in(const std::filesystem::path& dir) {
  runtime::Context context({.pipeline_cache_dir = dir});
  const runtime::Kernel kernel(context, copy_kernel());
  EXPECT_NE(kernel.pipeline(), VK_NULL_HANDLE);
  EXPECT_EQ(context.pipeline_cache_file().parent_path(), dir);
  tests::expect_no_validation_messages(context);
  return {context.pipeline_cache_file(), context.info()};
}

// A cache file the driver wrote: its header names this device and the UUID in the file name.
void expect_valid_cache_file(const std::filesystem::path& file, const runtime::DeviceInfo& device) {
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  const auto bytes = read_file(file);
  ASSERT_GE(bytes.size(), sizeof(CacheHeader)) << file;
  CacheHeader header;
  std::memcpy(&header, bytes.data(), sizeof header);
  EXPECT_GE(header.header_size, sizeof(CacheHeader));
  EXPECT_EQ(header.header_version, static_cast<std::uint32_t>(VK_PIPELINE_CACHE_HEADER_VERSION_ONE));
  EXPECT_EQ(header.vendor_id, device.vendor_id);
  EXPECT_EQ(header.device_id, device.device_id);
  std::string uuid;
  for (std::uint8_t b : header.uuid) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", b);
    uuid += hex;
  }
  EXPECT_EQ(file.filename().string(), "pipelines-" + uuid + ".bin");
}

TEST(ContextCacheTest, PipelineCacheFileAppearsWhenTheContextIsDestroyed) {
  const tests::TempDir dir;
  runtime::DeviceInfo device;
  std::filesystem::path file;
  {
    runtime::Context context({.pipeline_cache_dir = dir.path()});
    device = context.info();
    file = context.pipeline_cache_file();
    const runtime::Kernel kernel(context, copy_kernel());
    EXPECT_FALSE(std::filesystem::exists(file)) << "written before the Context was destroyed";
    tests::expect_no_validation_messages(context);
  }
  expect_valid_cache_file(file, device);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp")) << "the temporary file was left behind";
}

TEST(ContextCacheTest, GarbageCacheFileDoesNotBreakTheNextContext) {
  const tests::TempDir dir;
  const auto file = build_a_kernel_with_cache_in(dir.path()).file;
  // A well-formed header of another device (as after a driver update) over junk.
  CacheHeader foreign{32, VK_PIPELINE_CACHE_HEADER_VERSION_ONE, 0x1234, 0x5678, {}};
  std::memset(foreign.uuid, 0xee, sizeof foreign.uuid);
  std::string other_device(reinterpret_cast<const char*>(&foreign), sizeof foreign);
  other_device += std::string(1000, '\x5a');
  // Junk long enough to pass a size check and reach the driver; shorter than a header; empty.
  for (const std::string& garbage : {std::string(4096, '\x5a'), other_device, std::string("junk"), std::string()}) {
    SCOPED_TRACE("garbage of " + std::to_string(garbage.size()) + " bytes");
    write_file(file, garbage);
    const auto run = build_a_kernel_with_cache_in(dir.path());
    EXPECT_EQ(run.file, file);
    expect_valid_cache_file(file, run.device);  // and the next Context replaced the garbage
  }
}

}  // namespace
}  // namespace vulkanite
