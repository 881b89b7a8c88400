#pragma once
// How well a peak finder found the spots of a synthetic frame: found peaks are matched one to one
// to truth spots, nearest first, within a radius; recall, precision and the position error follow.
// Positions in the peak finders' convention (synthetic/serial_frames.hpp: pixel (ss, fs) centred
// at (fs, ss)); both lists must use the same one.
#include <cstddef>
#include <span>
#include <vector>

#include "synthetic/serial_frames.hpp"

namespace vulkanite::synthetic {

struct PeakPosition {
  double fs = 0.0, ss = 0.0;
};

struct PeakMatch {
  std::size_t found = 0;  // index in the found list
  std::size_t truth = 0;  // index in the truth list
  double distance_px = 0.0;
};

struct PeakScore {
  std::size_t found_count = 0, truth_count = 0;
  std::vector<PeakMatch> matches;            // sorted by found index
  std::vector<std::size_t> false_positives;  // found peaks with no truth, in order
  std::vector<std::size_t> missed;           // truth spots with no peak, in order
  double recall = 1.0;                       // matches / truth_count; 1 when there is no truth spot
  double precision = 1.0;                    // matches / found_count; 1 when nothing was found
  double mean_error_px = 0.0;                // mean distance of the matched pairs; 0 without any
};

// Greedy one-to-one matching, the usual rule for detection scores: every (found, truth) pair
// closer than `match_radius_px` (inclusive) is taken in order of distance (ties: lower found
// index, then lower truth index), skipping pairs whose peak or spot is already matched. With
// spots further apart than twice the radius (the generator's min_separation_px) it equals the
// optimal assignment. Throws std::invalid_argument for a radius that is not positive and finite
// or a position that is not finite.
PeakScore score_peaks(std::span<const PeakPosition> found, std::span<const PeakPosition> truth,
                      double match_radius_px = 2.0);
PeakScore score_peaks(std::span<const PeakPosition> found, std::span<const TruthSpot> truth,
                      double match_radius_px = 2.0);

}  // namespace vulkanite::synthetic
