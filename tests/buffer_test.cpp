// runtime::Buffer, Array and Transfer (host <-> device through the staging ring), and the
// copies and fills a Sequence records.
#include "runtime/buffer.hpp"

#include "runtime/sequence.hpp"
#include "runtime/transfer.hpp"
#include "support/gpu_test.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

namespace vulkanite {
namespace {

using ::testing::ElementsAre;

class BufferTest : public tests::GpuTest {};

std::vector<std::byte> random_bytes(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> bytes(count);
  for (auto& b : bytes) b = static_cast<std::byte>(rng());
  return bytes;
}

// Index of the first differing byte (0 if the sizes differ), or -1: a failure says where.
std::ptrdiff_t first_difference(std::span<const std::byte> a, std::span<const std::byte> b) {
  if (a.size() != b.size()) return 0;
  const auto [i, j] = std::mismatch(a.begin(), a.end(), b.begin());
  return i == a.end() ? -1 : i - a.begin();
}

TEST_F(BufferTest, RoundTripThroughAStagingRingMuchSmallerThanTheData) {
  // 3 slots of 4 KiB for ~1 MB: every slot is reused ~80 times, and the odd size leaves a
  // short last chunk, so chunk order and the ring's wrap-around both matter.
  constexpr std::size_t kBytes = (1 << 20) + 12345;
  runtime::Transfer transfer(context(), 4096, 3);
  const auto data = random_bytes(kBytes, 1);
  const runtime::Buffer buffer(context(), kBytes);
  transfer.upload(data, buffer);
  std::vector<std::byte> back(kBytes);
  transfer.download(buffer, 0, back);
  EXPECT_EQ(first_difference(data, back), -1);
}

TEST_F(BufferTest, UploadAndDownloadAtOffsetsTouchOnlyTheirRange) {
  constexpr std::size_t kBytes = 16384;
  runtime::Transfer transfer(context(), 4096, 2);
  const runtime::Buffer buffer(context(), kBytes);
  const auto background = random_bytes(kBytes, 2);
  transfer.upload(background, buffer);
  // A range that starts inside one slot-sized chunk and ends inside another.
  const auto patch = random_bytes(5000, 3);
  constexpr std::size_t kOffset = 3001;
  transfer.upload(patch, buffer, kOffset);

  std::vector<std::byte> expected = background;
  std::copy(patch.begin(), patch.end(), expected.begin() + kOffset);
  std::vector<std::byte> whole(kBytes);
  transfer.download(buffer, 0, whole);
  EXPECT_EQ(first_difference(expected, whole), -1);

  std::vector<std::byte> part(4999);
  transfer.download(buffer, kOffset + 1, part);
  EXPECT_EQ(first_difference(std::span(expected).subspan(kOffset + 1, part.size()), part), -1);
}

TEST_F(BufferTest, TypedArrayRoundTrip) {
  std::vector<float> values(1000);
  std::iota(values.begin(), values.end(), -500.25f);
  const runtime::Array<float> array(context(), values.size());
  EXPECT_EQ(array.size(), 1000u);
  EXPECT_EQ(array.bytes(), 4000u);
  runtime::Transfer transfer(context());
  transfer.upload(std::span<const float>(values), array);
  EXPECT_EQ(transfer.download(array), values);
}

TEST_F(BufferTest, EmptyArrayTransfersNothing) {
  const runtime::Array<float> empty(context(), 0);
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.bytes(), 0u);
  runtime::Transfer transfer(context());
  transfer.upload(std::span<const float>(), empty);
  EXPECT_TRUE(transfer.download(empty).empty());
}

// The message of the exception of type E that `f` throws.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception of the expected type";
  return {};
}

TEST_F(BufferTest, UploadPastTheEndIsOutOfRange) {
  runtime::Transfer transfer(context(), 4096, 1);
  const runtime::Buffer buffer(context(), 64);
  const std::vector<std::byte> bytes(16);
  EXPECT_EQ(message_of<std::out_of_range>([&] { transfer.upload(bytes, buffer, 49); }),
            "upload of 16 bytes at offset 49 runs past the end of a 64-byte buffer");
  const std::vector<std::byte> too_many(65);
  EXPECT_EQ(message_of<std::out_of_range>([&] { transfer.upload(too_many, buffer); }),
            "upload of 65 bytes at offset 0 runs past the end of a 64-byte buffer");
  EXPECT_NO_THROW(transfer.upload(bytes, buffer, 48));  // exactly up to the end is fine
}

TEST_F(BufferTest, DownloadPastTheEndIsOutOfRange) {
  runtime::Transfer transfer(context(), 4096, 1);
  const runtime::Buffer buffer(context(), 64);
  std::vector<std::byte> bytes(16);
  EXPECT_EQ(message_of<std::out_of_range>([&] { transfer.download(buffer, 60, bytes); }),
            "download of 16 bytes at offset 60 runs past the end of a 64-byte buffer");
  EXPECT_NO_THROW(transfer.download(buffer, 48, bytes));
}

TEST_F(BufferTest, OffsetsNearTheTopOfTheRangeDoNotWrapPastTheCheck) {
  // offset + size wraps to a small number here; the check must still refuse it.
  const VkDeviceSize huge = ~VkDeviceSize{0} - 7;
  runtime::Transfer transfer(context(), 4096, 1);
  const runtime::Buffer buffer(context(), 64);
  std::vector<std::byte> bytes(16);
  EXPECT_THROW(transfer.upload(bytes, buffer, huge), std::out_of_range);
  EXPECT_THROW(transfer.download(buffer, huge, bytes), std::out_of_range);
  runtime::Sequence sequence(context());
  EXPECT_THROW(sequence.copy(buffer, buffer, 16, huge, 0), std::out_of_range);
  EXPECT_THROW(sequence.copy(buffer, buffer, 16, 0, huge), std::out_of_range);
}

TEST_F(BufferTest, ArrayTransferOfTheWrongCountIsInvalid) {
  const runtime::Array<float> array(context(), 4);
  runtime::Transfer transfer(context());
  const std::vector<float> three(3);
  EXPECT_EQ(message_of<std::invalid_argument>([&] { transfer.upload(std::span<const float>(three), array); }),
            "transfer of 3 values to or from an array of 4");
  std::vector<float> five(5);
  EXPECT_EQ(message_of<std::invalid_argument>([&] { transfer.download(array, std::span<float>(five)); }),
            "transfer of 5 values to or from an array of 4");
}

TEST_F(BufferTest, ZeroByteBufferIsInvalid) {
  EXPECT_EQ(message_of<std::invalid_argument>([&] { runtime::Buffer(context(), 0); }),
            "a Vulkan buffer cannot be empty (0 bytes requested)");
  EXPECT_THROW(runtime::Buffer(context(), 0, runtime::MemoryKind::host), std::invalid_argument);
}

TEST_F(BufferTest, TransferWithoutSlotsIsInvalid) {
  EXPECT_THROW(runtime::Transfer(context(), 0, 3), std::invalid_argument);
  EXPECT_THROW(runtime::Transfer(context(), 4096, 0), std::invalid_argument);
}

TEST_F(BufferTest, OnlyHostBuffersAreMapped) {
  const runtime::Buffer host(context(), 100, runtime::MemoryKind::host);
  EXPECT_EQ(host.kind(), runtime::MemoryKind::host);
  ASSERT_EQ(host.mapped().size(), 100u);
  std::memset(host.mapped().data(), 0xab, 100);  // writable, all of it
  EXPECT_EQ(host.mapped()[99], std::byte{0xab});
  const runtime::Buffer device(context(), 100);
  EXPECT_EQ(device.kind(), runtime::MemoryKind::device);
  EXPECT_THROW(static_cast<void>(device.mapped()), std::logic_error);
}

TEST_F(BufferTest, SequenceCopiesBetweenBuffersAtOffsets) {
  runtime::Transfer transfer(context());
  const auto source_bytes = random_bytes(4096, 4);
  const runtime::Buffer source(context(), 4096), destination(context(), 4096);
  transfer.upload(source_bytes, source);
  runtime::Sequence sequence(context());
  sequence.fill(destination, 0);
  sequence.barrier();
  sequence.copy(source, destination, 1000, 96, 2048);
  sequence.run();

  std::vector<std::byte> expected(4096, std::byte{0});
  std::copy_n(source_bytes.begin() + 96, 1000, expected.begin() + 2048);
  std::vector<std::byte> back(4096);
  transfer.download(destination, 0, back);
  EXPECT_EQ(first_difference(expected, back), -1);
}

TEST_F(BufferTest, SequenceCopyPastTheEndIsOutOfRange) {
  const runtime::Buffer a(context(), 256), b(context(), 128);
  runtime::Sequence sequence(context());
  EXPECT_THROW(sequence.copy(a, b, 129), std::out_of_range);         // past the destination
  EXPECT_THROW(sequence.copy(a, b, 64, 200, 0), std::out_of_range);  // past the source
  EXPECT_THROW(sequence.copy(a, b, 64, 0, 65), std::out_of_range);
  EXPECT_EQ(message_of<std::out_of_range>([&] { sequence.copy(a, b, 129); }),
            "Sequence::copy of 129 bytes runs past a buffer's end");
  sequence.run();  // nothing was recorded: an empty submission still works
}

// The upload runs in a submission of its own (on the transfer queue where there is one); the
// commands recorded beside it must see what it wrote, in every round of a reused Sequence.
TEST_F(BufferTest, SequenceUploadIsDoneBeforeItsCommandsRun) {
  const runtime::Buffer host(context(), 4096, runtime::MemoryKind::host), device(context(), 4096);
  const runtime::Buffer readback(context(), 4096, runtime::MemoryKind::host);
  runtime::Sequence sequence(context());
  for (unsigned round = 0; round < 3; ++round) {
    const auto bytes = random_bytes(4096, 10 + round);
    std::copy(bytes.begin(), bytes.end(), host.mapped().begin());
    sequence.upload(host, device, 3000);
    sequence.copy(device, readback, 3000);
    sequence.barrier();
    sequence.run();
    EXPECT_EQ(first_difference(std::span(bytes).first(3000), readback.mapped().first(3000)), -1) << "round " << round;
  }
  EXPECT_EQ(message_of<std::out_of_range>([&] { sequence.upload(host, device, 4097); }),
            "Sequence::upload of 4097 bytes runs past a buffer's end");
}

TEST_F(BufferTest, SequenceFillsTheWholeBufferOrAPrefix) {
  const runtime::Array<std::uint32_t> words(context(), 8);
  runtime::Sequence sequence(context());
  sequence.fill(words, 0xdeadbeefu);
  sequence.barrier();
  sequence.fill(words, 7u, 3 * sizeof(std::uint32_t));
  sequence.run();
  runtime::Transfer transfer(context());
  EXPECT_THAT(transfer.download(words),
              ElementsAre(7u, 7u, 7u, 0xdeadbeefu, 0xdeadbeefu, 0xdeadbeefu, 0xdeadbeefu, 0xdeadbeefu));
}

TEST_F(BufferTest, FillOfAPartialWordOrPastTheEndIsInvalid) {
  const runtime::Buffer buffer(context(), 64);
  runtime::Sequence sequence(context());
  EXPECT_EQ(message_of<std::invalid_argument>([&] { sequence.fill(buffer, 0u, 6); }),
            "Sequence::fill of 6 bytes: must be a multiple of 4 and at most 64");
  EXPECT_THROW(sequence.fill(buffer, 0u, 68), std::invalid_argument);
  sequence.run();  // nothing invalid reached the command buffer
}

}  // namespace
}  // namespace vulkanite
