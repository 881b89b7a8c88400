// The `vulkanite` command line, run as the user runs it: a child process whose exit status,
// stdout and stderr are checked. The device is the one VULKANITE_DEVICE names, as everywhere.
#include "support/gpu_test.hpp"
#include "support/process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace vulkanite {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using tests::describe;
using tests::run_cli;

// A usage error: non-zero status, nothing on stdout, and the reason as one line on stderr.
void expect_one_line_usage_error(const tests::ProcessResult& result) {
  EXPECT_NE(result.exit_code, 0) << describe(result);
  EXPECT_EQ(result.out, "") << describe(result);
  EXPECT_THAT(result.err, StartsWith("vulkanite: error: ")) << describe(result);
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << describe(result);
  EXPECT_TRUE(result.err.ends_with('\n')) << describe(result);
}

TEST(CliTest, VersionNamesTheVersion) {
  const auto result = run_cli({"--version"});
  EXPECT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_THAT(result.out, StartsWith("vulkanite 0.1.0")) << describe(result);
}

TEST(CliTest, HelpExitsZero) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"devices", "--help"}, {"self-check", "--help"}}) {
    const auto result = run_cli(args);
    EXPECT_EQ(result.exit_code, 0) << args.front() << " " << args.back() << "\n" << describe(result);
    EXPECT_THAT(result.out, HasSubstr("Usage")) << describe(result);
  }
  EXPECT_THAT(run_cli({"--help"}).out, AllOf(HasSubstr("devices"), HasSubstr("self-check")));
  EXPECT_THAT(run_cli({"self-check", "--help"}).out, HasSubstr("--count"));
  EXPECT_THAT(run_cli({"devices", "--help"}).out, HasSubstr("--json"));
}

TEST(CliTest, DevicesJsonListsEveryDevice) {
  const auto result = run_cli({"devices", "--json"});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  const auto json = nlohmann::json::parse(result.out);  // throws (fails the test) if not JSON
  EXPECT_EQ(json.at("vulkanite"), "0.1.0");
  const auto& devices = json.at("devices");
  ASSERT_TRUE(devices.is_array());
  const auto listed = tests::devices();
  ASSERT_EQ(devices.size(), listed.size());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    EXPECT_EQ(devices[i].at("index"), i);
    EXPECT_EQ(devices[i].at("name"), listed[i].name);
    EXPECT_EQ(devices[i].at("driver_name"), listed[i].driver_name);
    EXPECT_EQ(devices[i].at("api_version"), listed[i].api_version);
    constexpr auto shuffle = runtime::kSubgroupShuffle;
    EXPECT_EQ(devices[i].at("subgroup_shuffle"), (listed[i].subgroup_operations & shuffle) == shuffle);
    EXPECT_FALSE(devices[i].at("name").get<std::string>().empty());
  }
}

TEST(CliTest, DevicesTableNamesEveryDevice) {
  const auto result = run_cli({"devices"});
  ASSERT_EQ(result.exit_code, 0) << describe(result);
  for (const auto& d : tests::devices())
    EXPECT_THAT(result.out, HasSubstr(d.name.substr(0, 36))) << describe(result);  // the column is 36 wide
}

TEST(CliTest, UnknownSubcommandIsAOneLineError) { expect_one_line_usage_error(run_cli({"frobnicate"})); }

TEST(CliTest, NoSubcommandIsAOneLineErrorListingTheCommands) {
  const auto result = run_cli({});
  expect_one_line_usage_error(result);
  for (const char* command : {"devices", "self-check", "info", "integrate", "sigma-clip", "find-peaks", "fit", "simulate"})
    EXPECT_NE(result.err.find(command), std::string::npos) << command << " missing from: " << result.err;
}

TEST(CliTest, BadOptionIsAOneLineErrorNamingIt) {
  const auto unknown = run_cli({"--frobnicate", "devices"});
  expect_one_line_usage_error(unknown);
  EXPECT_THAT(unknown.err, HasSubstr("--frobnicate"));
  const auto out_of_range = run_cli({"self-check", "--count", "0"});
  expect_one_line_usage_error(out_of_range);
  EXPECT_THAT(out_of_range.err, HasSubstr("--count"));
  expect_one_line_usage_error(run_cli({"self-check", "--count", "many"}));
}

TEST(CliTest, SelfCheckPasses) {
  const auto result = run_cli({"self-check", "--count", "20000"});
  EXPECT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_THAT(result.out, HasSubstr("self-check passed")) << describe(result);
  for (const char* check : {"divide", "sqrt", "sum", "sum_of_squares", "compensated_sum"})
    EXPECT_THAT(result.out, HasSubstr(std::string(check) + " ")) << describe(result);
  EXPECT_THAT(result.out, Not(HasSubstr("differ"))) << describe(result);
}

TEST(CliTest, UnknownDeviceIsAnErrorListingTheDevices) {
  const auto result = run_cli({"--device", "nosuchdevice", "self-check"});
  EXPECT_EQ(result.exit_code, 1) << describe(result);
  EXPECT_THAT(result.err, HasSubstr("no Vulkan device matches \"nosuchdevice\"")) << describe(result);
  for (const auto& d : tests::devices()) EXPECT_THAT(result.err, HasSubstr(d.name));
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << describe(result);
}

}  // namespace
}  // namespace vulkanite
