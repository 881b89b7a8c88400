#pragma once
// The fixture of every test that computes: one Context for the whole test program, and after
// each test a check that the validation layer reported nothing, so that any validation message
// fails the test that caused it.
//
// One Context, not one per suite or test: creating a device with the validation layer costs
// time on llvmpipe, and NVIDIA's driver (580) refuses vkCreateInstance after about 28 instances
// in one process, which a whole run of this program in one process would otherwise reach.
//
// The device comes from VULKANITE_DEVICE (unset: the best GPU), never from the test: the same
// suite runs on llvmpipe in CI and on the GPU of a workstation.
#include "runtime/context.hpp"
#include "runtime/device_info.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vulkanite::tests {

// runtime::list_devices(), listed once per program, with the validation layer exactly when the
// suite runs with it.
const std::vector<runtime::DeviceInfo>& devices();

// For tests that make their own Context (device selection, caches): the same end-of-test check.
inline void expect_no_validation_messages(runtime::Context& context) {
  EXPECT_NO_THROW(context.throw_on_validation_messages());
}

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override;     // fails the test (fatally) when there is no Context
  void TearDown() override;  // expect_no_validation_messages
  // The program's Context, made at the first call; only valid once SetUp succeeded.
  static runtime::Context& context();
  // A second Context on the same device with ContextOptions::subgroups off, made at the first
  // call: the kernels' shared-memory variants, which devices without subgroup shuffles or
  // arithmetic run, must give the same bits.
  static runtime::Context& context_without_subgroups();
};

}  // namespace vulkanite::tests
