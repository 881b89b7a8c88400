// Matching found peaks to truth spots (synthetic/peak_scoring.hpp) on hand-made lists whose
// recall, precision and errors are known exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "synthetic/peak_scoring.hpp"
#include "support/invalid_argument.hpp"

namespace vulkanite {
namespace {

using synthetic::PeakPosition;
using synthetic::score_peaks;

TEST(SyntheticPeakScoringTest, CountsMatchesFalsePositivesAndMisses) {
  const std::vector<PeakPosition> found{{10, 10}, {20.5, 20}, {50, 50}};
  const std::vector<PeakPosition> truth{{10.5, 10}, {20, 20}, {30, 30}, {40, 40}};
  const auto s = score_peaks(found, truth);
  EXPECT_EQ(s.found_count, 3u);
  EXPECT_EQ(s.truth_count, 4u);
  ASSERT_EQ(s.matches.size(), 2u);
  EXPECT_EQ(s.matches[0].found, 0u);
  EXPECT_EQ(s.matches[0].truth, 0u);
  EXPECT_EQ(s.matches[1].found, 1u);
  EXPECT_EQ(s.matches[1].truth, 1u);
  EXPECT_EQ(s.matches[1].distance_px, 0.5);
  EXPECT_EQ(s.recall, 0.5);
  EXPECT_EQ(s.precision, 2.0 / 3.0);
  EXPECT_EQ(s.mean_error_px, 0.5);
  EXPECT_EQ(s.false_positives, (std::vector<std::size_t>{2}));
  EXPECT_EQ(s.missed, (std::vector<std::size_t>{2, 3}));
}

TEST(SyntheticPeakScoringTest, OneToOneNearestFirst) {
  // Two peaks near one spot: the nearer takes it, the other is a false positive even though it
  // lies within the radius; a spot taken cannot be taken again.
  const std::vector<PeakPosition> found{{10, 10}, {10.3, 10}};
  const std::vector<PeakPosition> truth{{10.2, 10}};
  const auto s = score_peaks(found, truth);
  ASSERT_EQ(s.matches.size(), 1u);
  EXPECT_EQ(s.matches[0].found, 1u);
  EXPECT_EQ(s.recall, 1.0);
  EXPECT_EQ(s.precision, 0.5);
  // A chain: peak 0 is nearest to spot 1, which peak 1 would also take; greedy by distance gives
  // (0, 1) at 0.1, then peak 1 takes spot 0 at 1.5.
  const std::vector<PeakPosition> chain_found{{5.0, 0}, {3.6, 0}};
  const std::vector<PeakPosition> chain_truth{{2.1, 0}, {5.1, 0}};
  const auto c = score_peaks(chain_found, chain_truth);
  ASSERT_EQ(c.matches.size(), 2u);
  EXPECT_EQ(c.matches[0].truth, 1u);
  EXPECT_EQ(c.matches[1].truth, 0u);
  EXPECT_NEAR(c.mean_error_px, (0.1 + 1.5) / 2, 1e-12);
}

TEST(SyntheticPeakScoringTest, TheRadiusIsInclusiveAndCanBeChanged) {
  const std::vector<PeakPosition> found{{2, 0}, {0, 102.5}};
  const std::vector<PeakPosition> truth{{0, 0}, {0, 100}};
  auto s = score_peaks(found, truth);  // default 2 px: (2, 0) is exactly at the radius
  EXPECT_EQ(s.matches.size(), 1u);
  EXPECT_EQ(s.recall, 0.5);
  s = score_peaks(found, truth, 2.5);
  EXPECT_EQ(s.matches.size(), 2u);
  s = score_peaks(found, truth, 1.999);
  EXPECT_EQ(s.matches.size(), 0u);
  EXPECT_EQ(s.recall, 0.0);
  EXPECT_EQ(s.precision, 0.0);
  EXPECT_EQ(s.mean_error_px, 0.0);
}

TEST(SyntheticPeakScoringTest, EmptyListsAndTruthSpots) {
  const std::vector<PeakPosition> none, one{{1, 1}};
  auto s = score_peaks(none, none);
  EXPECT_EQ(s.recall, 1.0);
  EXPECT_EQ(s.precision, 1.0);
  s = score_peaks(none, one);
  EXPECT_EQ(s.recall, 0.0);
  EXPECT_EQ(s.precision, 1.0);
  s = score_peaks(one, none);
  EXPECT_EQ(s.recall, 1.0);
  EXPECT_EQ(s.precision, 0.0);
  std::vector<synthetic::TruthSpot> spots(2);
  spots[0].fs = 1.5;
  spots[0].ss = 1;
  spots[1].fs = 9;
  s = score_peaks(one, spots);
  EXPECT_EQ(s.matches.size(), 1u);
  EXPECT_EQ(s.recall, 0.5);
  EXPECT_EQ(s.mean_error_px, 0.5);
}

TEST(SyntheticPeakScoringTest, BadInputIsRejected) {
  const std::vector<PeakPosition> one{{1, 1}}, bad{{std::numeric_limits<double>::quiet_NaN(), 1}};
  EXPECT_THROW(score_peaks(one, one, 0.0), std::invalid_argument);
  EXPECT_THROW(score_peaks(one, one, std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_EQ(tests::invalid_argument_message([&] { (void)score_peaks(bad, one); }),
            "score_peaks: found position 0 is not finite");
}

}  // namespace
}  // namespace vulkanite
