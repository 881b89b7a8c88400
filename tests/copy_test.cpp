// algorithms::Copier, the bandwidth yardstick: it must copy exactly the bytes asked for, with
// any unroll and any number of workgroups (its loop strides over the grid), and refuse sizes
// it cannot copy.
#include "algorithms/copy.hpp"

#include "runtime/transfer.hpp"
#include "support/gpu_test.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>
#include <vector>

namespace vulkanite {
namespace {

class CopyTest : public tests::GpuTest {};

struct CopyCase {
  std::uint32_t workgroup_size, unroll, groups;
};

TEST_F(CopyTest, CopiesExactlyTheRequestedBytes) {
  constexpr std::size_t kWords = 100'003;  // 32-bit words: 25 000 16-byte words and a bit
  std::vector<std::uint32_t> source_values(kWords);
  std::iota(source_values.begin(), source_values.end(), 1u);
  runtime::Transfer transfer(context());
  const runtime::Array<std::uint32_t> source(context(), kWords), destination(context(), kWords);
  transfer.upload(std::span<const std::uint32_t>(source_values), source);
  // 0 groups = enough for one pass; 3 groups = many trips around the grid-stride loop.
  for (const auto c : {CopyCase{256, 4, 0}, CopyCase{64, 1, 0}, CopyCase{64, 3, 3}, CopyCase{128, 8, 1}}) {
    SCOPED_TRACE("workgroup " + std::to_string(c.workgroup_size) + ", unroll " + std::to_string(c.unroll) +
                 ", groups " + std::to_string(c.groups));
    const algorithms::Copier copier(context(), c.workgroup_size, c.unroll, c.groups);
    constexpr VkDeviceSize kBytes = 16 * 24'999;  // not the whole buffer: the tail must stay
    runtime::Sequence sequence(context());
    sequence.fill(destination, 0);
    sequence.barrier();
    copier.record(sequence, source, destination, kBytes);
    sequence.run();
    const auto copied = transfer.download(destination);
    for (std::size_t i = 0; i < kWords; ++i)
      ASSERT_EQ(copied[i], i < kBytes / 4 ? source_values[i] : 0u) << "at 32-bit word " << i;
  }
}

TEST_F(CopyTest, RefusesWhatItCannotCopy) {
  const runtime::Buffer a(context(), 256), b(context(), 128);
  const algorithms::Copier copier(context());
  runtime::Sequence sequence(context());
  EXPECT_THROW(copier.record(sequence, a, b, 24), std::invalid_argument);  // not 16-byte words
  EXPECT_THROW(copier.record(sequence, a, b, 144), std::out_of_range);     // past b's end
}

// Regression: Copier once built its pipeline before checking `unroll`, so unroll 0 made a
// zero-length `uvec4 words[kUnroll]` and the validation layer reported
// VUID-VkPipelineShaderStageCreateInfo-pSpecializationInfo-06719 before the std::invalid_argument.
TEST_F(CopyTest, UnrollZeroIsRefusedBeforeAnyPipelineIsBuilt) {
  EXPECT_THROW(algorithms::Copier(context(), 256, 0), std::invalid_argument);
}

}  // namespace
}  // namespace vulkanite
