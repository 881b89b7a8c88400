#include "synthetic/peak_scoring.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>

namespace vulkanite::synthetic {
namespace {

void check_positions(std::span<const PeakPosition> positions, const char* list) {
  for (std::size_t i = 0; i < positions.size(); ++i)
    if (!std::isfinite(positions[i].fs) || !std::isfinite(positions[i].ss))
      throw std::invalid_argument(std::string("score_peaks: ") + list + " position " + std::to_string(i) +
                                  " is not finite");
}

}  // namespace

PeakScore score_peaks(std::span<const PeakPosition> found, std::span<const PeakPosition> truth,
                      double match_radius_px) {
  if (!(match_radius_px > 0.0) || !std::isfinite(match_radius_px))
    throw std::invalid_argument("score_peaks: the match radius must be positive and finite, not " +
                                std::to_string(match_radius_px));
  check_positions(found, "found");
  check_positions(truth, "truth");

  // Candidate pairs: truth sorted by ss, each found peak looks only at the ss band it can reach.
  std::vector<std::size_t> by_ss(truth.size());
  std::iota(by_ss.begin(), by_ss.end(), std::size_t{0});
  std::sort(by_ss.begin(), by_ss.end(), [&](std::size_t a, std::size_t b) { return truth[a].ss < truth[b].ss; });
  const double r2 = match_radius_px * match_radius_px;
  std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;  // squared distance, found, truth
  for (std::size_t f = 0; f < found.size(); ++f) {
    const auto first = std::lower_bound(by_ss.begin(), by_ss.end(), found[f].ss - match_radius_px,
                                        [&](std::size_t t, double ss) { return truth[t].ss < ss; });
    for (auto it = first; it != by_ss.end() && truth[*it].ss <= found[f].ss + match_radius_px; ++it) {
      const double dfs = found[f].fs - truth[*it].fs, dss = found[f].ss - truth[*it].ss;
      const double d2 = dfs * dfs + dss * dss;
      if (d2 <= r2) pairs.emplace_back(d2, f, *it);
    }
  }
  std::sort(pairs.begin(), pairs.end());

  PeakScore score;
  score.found_count = found.size();
  score.truth_count = truth.size();
  std::vector<bool> found_used(found.size()), truth_used(truth.size());
  for (const auto& [d2, f, t] : pairs) {
    if (found_used[f] || truth_used[t]) continue;
    found_used[f] = truth_used[t] = true;
    score.matches.push_back({f, t, std::sqrt(d2)});
  }
  std::sort(score.matches.begin(), score.matches.end(), [](const auto& a, const auto& b) { return a.found < b.found; });
  for (std::size_t f = 0; f < found.size(); ++f)
    if (!found_used[f]) score.false_positives.push_back(f);
  for (std::size_t t = 0; t < truth.size(); ++t)
    if (!truth_used[t]) score.missed.push_back(t);

  const double matched = double(score.matches.size());
  if (!truth.empty()) score.recall = matched / double(truth.size());
  if (!found.empty()) score.precision = matched / double(found.size());
  if (!score.matches.empty()) {
    double sum = 0.0;
    for (const auto& m : score.matches) sum += m.distance_px;
    score.mean_error_px = sum / matched;
  }
  return score;
}

PeakScore score_peaks(std::span<const PeakPosition> found, std::span<const TruthSpot> truth, double match_radius_px) {
  std::vector<PeakPosition> positions;
  positions.reserve(truth.size());
  for (const auto& spot : truth) positions.push_back({spot.fs, spot.ss});
  return score_peaks(found, positions, match_radius_px);
}

}  // namespace vulkanite::synthetic
