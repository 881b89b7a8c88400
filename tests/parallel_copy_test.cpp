// runtime::CopyPool: its parts cover the range once, on part boundaries that respect the
// alignment, a copy is exact whatever its size, and an exception comes back from the first part.
#include "runtime/parallel_copy.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace vulkanite {
namespace {

TEST(CopyPoolTest, PartsCoverTheRangeOnceOnAlignedBoundaries) {
  runtime::CopyPool pool(4);
  for (const std::size_t count : {0ul, 1ul, 999ul, 4096ul, 10'007ul}) {
    std::vector<int> visits(count, 0);
    std::vector<std::pair<std::size_t, std::size_t>> parts;
    std::mutex mutex;
    pool.for_each_part(count, 1000, 64, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) ++visits[i];
      std::lock_guard lock(mutex);
      parts.emplace_back(begin, end);
    });
    EXPECT_EQ(std::count(visits.begin(), visits.end(), 1), static_cast<std::ptrdiff_t>(count)) << count;
    EXPECT_LE(parts.size(), 4u);
    for (const auto& [begin, end] : parts) {
      EXPECT_EQ(begin % 64, 0u) << count;
      EXPECT_TRUE(end % 64 == 0 || end == count) << count;
    }
    if (count >= 4000) {
      EXPECT_EQ(parts.size(), 4u) << count;  // a part per thread once parts reach 1000
    }
  }
}

TEST(CopyPoolTest, CopiesExactlyTheBytesAskedFor) {
  runtime::CopyPool pool(3);
  for (const std::size_t bytes : {std::size_t{100}, std::size_t{3} << 20, (std::size_t{5} << 20) + 13}) {
    std::vector<std::uint8_t> from(bytes + 8), to(bytes + 8, 0xee);
    std::iota(from.begin(), from.end(), std::uint8_t{1});
    pool.copy(to.data(), from.data(), bytes);
    EXPECT_TRUE(std::equal(from.begin(), from.begin() + static_cast<std::ptrdiff_t>(bytes), to.begin())) << bytes;
    EXPECT_EQ(to[bytes], 0xee) << bytes;  // nothing past the end
  }
}

// copy_to_staging's non-temporal stores take 16-byte blocks of the destination: heads and tails
// that are not whole blocks, at every destination misalignment, must come out exact too.
TEST(CopyPoolTest, CopiesToStagingExactlyTheBytesAskedForAtAnyAlignment) {
  runtime::CopyPool pool(3);
  for (const std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{100},
                                  (std::size_t{3} << 20) + 7, (std::size_t{5} << 20) + 13}) {
    for (const std::size_t offset : {0, 1, 7, 15}) {
      std::vector<std::uint8_t> from(bytes + 32), to(bytes + 32, 0xee);
      std::iota(from.begin(), from.end(), std::uint8_t{1});
      pool.copy_to_staging(to.data() + offset, from.data() + 3, bytes);
      EXPECT_TRUE(std::equal(from.begin() + 3, from.begin() + 3 + static_cast<std::ptrdiff_t>(bytes),
                             to.begin() + static_cast<std::ptrdiff_t>(offset)))
          << bytes << " bytes at offset " << offset;
      EXPECT_EQ(to[bytes + offset], 0xee) << bytes << " bytes at offset " << offset;  // nothing past the end
      if (offset > 0) {
        EXPECT_EQ(to[offset - 1], 0xee) << bytes << " bytes at offset " << offset;  // nor before
      }
    }
  }
}

TEST(CopyPoolTest, RethrowsTheFirstFailingPartsException) {
  runtime::CopyPool pool(4);
  const auto fail_at = [&](const std::vector<std::size_t>& bad) {
    return tests::invalid_argument_message([&] {
      pool.for_each_part(4000, 1000, 1, [&](std::size_t begin, std::size_t end) {
        for (const std::size_t i : bad)
          if (i >= begin && i < end) throw std::invalid_argument("bad " + std::to_string(i));
      });
    });
  };
  EXPECT_EQ(fail_at({3500, 1200}), "bad 1200");
  EXPECT_EQ(fail_at({10}), "bad 10");  // part 0, on the calling thread
  EXPECT_EQ(fail_at({}), "no error");
  EXPECT_EQ(fail_at({3999}), "bad 3999");  // the pool still works after exceptions
}

}  // namespace
}  // namespace vulkanite
