// runtime::Kernel and Sequence: dispatches that run, the errors for wrong use (each naming the
// kernel), and the per-kernel GPU times a Sequence gathers into its Profile.
#include "runtime/kernel.hpp"

#include "runtime/profile.hpp"
#include "runtime/sequence.hpp"
#include "runtime/transfer.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"

#include <shaders/copy.spv.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <vector>

namespace vulkanite {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// shaders/copy/copy.comp under a name of its own, so that messages visibly name this kernel.
constexpr const char* kName = "copy_under_test";
struct CopyPush {  // GLSL: CopyPush in shaders/copy/copy.comp
  std::uint32_t count;
};

runtime::KernelDesc copy_kernel(std::uint32_t workgroup_size = 64) {
  return {kName, shaders::copy, 2, sizeof(CopyPush), workgroup_size, {/*unroll=*/1}};
}

class KernelTest : public tests::GpuTest {
 protected:
  // `source` holds the 32-bit values 0, 1, 2, ... (kWords 16-byte words); `destination` zeros.
  void SetUp() override {
    GpuTest::SetUp();
    if (HasFatalFailure()) return;
    transfer_.emplace(context(), 1 << 16);
    source_.emplace(context(), 4 * kWords);
    destination_.emplace(context(), 4 * kWords);
    std::vector<std::uint32_t> values(4 * kWords);
    std::iota(values.begin(), values.end(), 0u);
    transfer_->upload(std::span<const std::uint32_t>(values), *source_);
    transfer_->upload(std::span<const std::uint32_t>(std::vector<std::uint32_t>(4 * kWords)), *destination_);
  }

  static constexpr std::uint32_t kWords = 4096;  // 64 KiB
  // Made in SetUp, once the fixture knows that there is a context.
  std::optional<runtime::Transfer> transfer_;
  std::optional<runtime::Array<std::uint32_t>> source_, destination_;
};

TEST_F(KernelTest, DispatchRunsTheKernelWithItsPushConstants) {
  const runtime::Kernel kernel(context(), copy_kernel());
  EXPECT_EQ(kernel.name(), kName);
  EXPECT_EQ(kernel.bindings(), 2u);
  EXPECT_EQ(kernel.push_constant_bytes(), 4u);
  EXPECT_EQ(kernel.workgroup_size(), 64u);
  runtime::Sequence sequence(context());
  // Only the first 1000 words: the push constant must arrive for the rest to stay zero.
  sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{1000}, {kernel.groups_for(kWords)});
  sequence.run();
  const auto copied = transfer_->download(*destination_);
  for (std::uint32_t i = 0; i < 4 * kWords; ++i)
    ASSERT_EQ(copied[i], i < 4000 ? i : 0u) << "at word " << i / 4 << " element " << i % 4;
}

TEST_F(KernelTest, GroupsCoverTheItems) {
  const runtime::Kernel kernel(context(), copy_kernel(64));
  EXPECT_EQ(kernel.groups_for(0), 0u);
  EXPECT_EQ(kernel.groups_for(1), 1u);
  EXPECT_EQ(kernel.groups_for(64), 1u);
  EXPECT_EQ(kernel.groups_for(65), 2u);
  EXPECT_EQ(kernel.groups_for(64ull * 1000 + 1), 1001u);
}

TEST_F(KernelTest, WrongNumberOfBuffersNamesTheKernel) {
  const runtime::Kernel kernel(context(), copy_kernel());
  runtime::Sequence sequence(context());
  EXPECT_EQ(tests::invalid_argument_message([&] { sequence.dispatch(kernel, {*source_}, CopyPush{1}, {1}); }),
            "kernel copy_under_test takes 2 buffers, 1 were given");
  EXPECT_EQ(tests::invalid_argument_message([&] {
              sequence.dispatch(kernel, {*source_, *destination_, *source_}, CopyPush{1}, {1});
            }),
            "kernel copy_under_test takes 2 buffers, 3 were given");
}

TEST_F(KernelTest, WrongPushConstantSizeNamesTheKernel) {
  const runtime::Kernel kernel(context(), copy_kernel());
  runtime::Sequence sequence(context());
  EXPECT_EQ(tests::invalid_argument_message([&] {
              sequence.dispatch(kernel, {*source_, *destination_}, std::uint64_t{1}, {1});
            }),
            "kernel copy_under_test takes 4 bytes of push constants, 8 were given");
  EXPECT_EQ(tests::invalid_argument_message([&] {
              sequence.dispatch(kernel, {*source_, *destination_}, {1});
            }),
            "kernel copy_under_test takes 4 bytes of push constants, 0 were given");
}

TEST_F(KernelTest, WorkgroupSizeZeroNamesTheKernel) {
  EXPECT_THAT(tests::invalid_argument_message([&] { runtime::Kernel(context(), copy_kernel(0)); }),
              StartsWith("kernel copy_under_test: workgroup size 0 is outside 1.."));
}

TEST_F(KernelTest, WorkgroupSizeAboveTheDeviceLimitNamesTheKernel) {
  const auto& limits = context().limits();
  const std::uint32_t largest = std::min(limits.maxComputeWorkGroupSize[0], limits.maxComputeWorkGroupInvocations);
  EXPECT_EQ(tests::invalid_argument_message([&] { runtime::Kernel(context(), copy_kernel(largest + 1)); }),
            "kernel copy_under_test: workgroup size " + std::to_string(largest + 1) + " is outside 1.." +
                std::to_string(largest) + " on " + context().info().name);
  EXPECT_NO_THROW(runtime::Kernel(context(), copy_kernel(largest)));
}

TEST_F(KernelTest, TooManyPushConstantBytesNameTheKernel) {
  auto desc = copy_kernel();
  desc.push_constant_bytes = context().limits().maxPushConstantsSize + 4;
  EXPECT_THAT(tests::invalid_argument_message([&] { runtime::Kernel(context(), desc); }),
              StartsWith("kernel copy_under_test: " + std::to_string(desc.push_constant_bytes) + " bytes of push"));
}

TEST_F(KernelTest, TooManyWorkgroupsNameTheKernel) {
  const auto& count = context().limits().maxComputeWorkGroupCount;
  // A dimension whose limit can be exceeded in 32 bits (x may be 2^32 - 1 on some devices).
  const auto dimension =
      std::find_if(count, count + 3, [](std::uint32_t c) { return c < std::numeric_limits<std::uint32_t>::max(); });
  if (dimension == count + 3) GTEST_SKIP() << "every workgroup count limit is 2^32 - 1";
  runtime::Groups groups;
  (&groups.x)[dimension - count] = *dimension + 1;
  const runtime::Kernel kernel(context(), copy_kernel());
  runtime::Sequence sequence(context());
  const std::string message = tests::invalid_argument_message([&] {
    sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{1}, groups);
  });
  EXPECT_THAT(message, StartsWith("kernel copy_under_test: " + std::to_string(groups.x) + " x " +
                                  std::to_string(groups.y) + " x " + std::to_string(groups.z) +
                                  " workgroups exceed the device's limit of " + std::to_string(count[0]) + " x "));
}

// Regression: a Sequence destroyed while in flight (submit() without wait(), e.g. when an
// exception unwinds) once destroyed its descriptor and query pools while the GPU still used
// them, and llvmpipe crashed in its queue thread. commands_, which waits, is now destroyed first.
TEST_F(KernelTest, SequenceDestroyedWhileInFlightWaitsForItsWork) {
  const runtime::Kernel kernel(context(), copy_kernel());
  {
    runtime::Sequence sequence(context());
    for (int i = 0; i < 20; ++i)
      sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{kWords}, {kernel.groups_for(kWords)});
    sequence.submit();
  }
  std::vector<std::uint32_t> expected(4 * kWords);
  std::iota(expected.begin(), expected.end(), 0u);
  EXPECT_EQ(transfer_->download(*destination_), expected);
}

TEST(ProfileTest, SummarizesSamplesPerName) {
  runtime::Profile profile;
  EXPECT_TRUE(profile.empty());
  for (double ns : {3.0, 1.0, 10.0, 2.0}) profile.add("b", ns);
  profile.add("a", 5.0);
  const auto b = profile.of("b");
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.count, 4u);
  EXPECT_EQ(b.min_ns, 1.0);
  EXPECT_EQ(b.median_ns, 2.5);  // the mean of the middle two of an even count
  EXPECT_EQ(b.max_ns, 10.0);
  EXPECT_EQ(b.total_ns, 16.0);
  EXPECT_EQ(profile.of("a").median_ns, 5.0);
  const auto summary = profile.summary();
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[0].name, "a");  // sorted by name
  EXPECT_EQ(summary[1].name, "b");
  EXPECT_THAT(profile.table(), HasSubstr("b                               4      0.00       0.00      0.01"));
  profile.clear();
  EXPECT_TRUE(profile.empty());
}

TEST(ProfileTest, UnknownKernelNameThrows) {
  runtime::Profile profile;
  profile.add("reduce", 1.0);
  try {
    static_cast<void>(profile.of("nosuchkernel"));
    FAIL() << "Profile::of an unknown name did not throw";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "no GPU times recorded for kernel nosuchkernel");
  }
}

class KernelProfileTest : public KernelTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    if (HasFatalFailure()) return;
    if (!context().queue_has_timestamps()) {
      const runtime::Kernel kernel(context(), copy_kernel());
      runtime::Sequence sequence(context());
      sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{1}, {1});
      sequence.run();
      EXPECT_TRUE(sequence.profile().empty()) << "times recorded on a device without timestamps";
      GTEST_SKIP() << context().info().name << " has no timestamps on its compute queue";
    }
  }
};

TEST_F(KernelProfileTest, CountsEveryDispatchAndOrdersTheStatistics) {
  constexpr std::size_t kDispatches = 7;
  const runtime::Kernel kernel(context(), copy_kernel());
  runtime::Sequence sequence(context());
  for (std::size_t i = 0; i < kDispatches; ++i) {
    sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{kWords}, {kernel.groups_for(kWords)});
    sequence.barrier();
  }
  sequence.run();
  const auto times = sequence.profile().of(kName);
  EXPECT_EQ(times.count, kDispatches);
  EXPECT_GT(times.min_ns, 0.0);
  EXPECT_LE(times.min_ns, times.median_ns);
  EXPECT_LE(times.median_ns, times.max_ns);
  EXPECT_GE(times.total_ns, kDispatches * times.min_ns);
  EXPECT_THROW(static_cast<void>(sequence.profile().of("copy")), std::out_of_range);
}

TEST_F(KernelProfileTest, TimesOnlyTheFirstDispatchesOfEachSubmissionAndAccumulates) {
  const runtime::Kernel kernel(context(), copy_kernel());
  runtime::Sequence sequence(context(), /*max_timed_dispatches=*/2);
  for (int submission = 0; submission < 2; ++submission) {
    for (int i = 0; i < 5; ++i) {
      sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{kWords}, {64});
      sequence.barrier();
    }
    sequence.run();
  }
  EXPECT_EQ(sequence.profile().of(kName).count, 4u);
}

TEST_F(KernelProfileTest, EmptyDispatchIsNeitherRunNorTimed) {
  const runtime::Kernel kernel(context(), copy_kernel());
  runtime::Sequence sequence(context());
  sequence.dispatch(kernel, {*source_, *destination_}, CopyPush{kWords}, {0});
  sequence.run();
  EXPECT_TRUE(sequence.profile().empty());
  EXPECT_EQ(transfer_->download(*destination_), std::vector<std::uint32_t>(4 * kWords));
}

}  // namespace
}  // namespace vulkanite
