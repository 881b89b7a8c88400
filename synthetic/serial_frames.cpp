// The frame half of synthetic/serial_frames.hpp: spots, expected counts, noise, defects.
#include "synthetic/serial_frames.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "synthetic/portable_random.hpp"

namespace vulkanite::synthetic {
namespace {

constexpr std::uint64_t kSpotStream = 2;  // keys beside serial_detector.cpp's kDefectStream = 1
constexpr std::uint64_t kNoiseStream = 3;
constexpr std::int32_t kGapValue = -1;  // what Pilatus and Eiger write in the gaps between modules
// Attempts per spot before the placement gives up (the detector is too full for the separation).
constexpr int kPlacementAttempts = 1000;
// Simpson's rule over a pixel with this many intervals: for the narrowest spot allowed
// (sigma 0.3 px, h = sigma / 2.4) the relative error of a pixel's share is below 1e-4.
constexpr int kSimpsonIntervals = 8;

// The fraction of a unit Gaussian (centre `mu`, width `sigma`) that falls on each of the pixels
// first, first + 1, ..., first + n - 1 along one axis (pixel i spans [i - 0.5, i + 0.5]), by
// Simpson's rule, normalised to sum to 1 over the n pixels so that a spot's expected counts add
// up to its intensity exactly (the window reaches past 4 sigma: what it cuts off is below 1e-4).
std::vector<double> pixel_profile(double mu, double sigma, std::int64_t first, std::size_t n) {
  const double h = 1.0 / kSimpsonIntervals;
  const double inverse_two_var = 1.0 / (2.0 * sigma * sigma);
  std::vector<double> samples(n * kSimpsonIntervals + 1);
  for (std::size_t t = 0; t < samples.size(); ++t) {
    const double x = double(first) - 0.5 + double(t) * h - mu;
    samples[t] = portable_exp(-x * x * inverse_two_var);
  }
  std::vector<double> profile(n);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* f = samples.data() + i * kSimpsonIntervals;
    double sum = f[0] + f[kSimpsonIntervals];
    for (int t = 1; t < kSimpsonIntervals; ++t) sum += (t % 2 == 1 ? 4.0 : 2.0) * f[t];
    profile[i] = sum;
    total += sum;
  }
  for (auto& v : profile) v /= total;
  return profile;
}

double square(double x) { return x * x; }

std::string number(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

// Spot centres at least `separation` apart (squared distances: std::hypot's last bit is the C
// library's), checked on a grid of cells that size.
class SeparationGrid {
 public:
  SeparationGrid(double separation, std::size_t rows, std::size_t columns)
      : separation_(separation),
        cell_(std::max(separation, 1.0)),
        nx_(std::size_t(double(columns) / cell_) + 1),
        ny_(std::size_t(double(rows) / cell_) + 1),
        cells_(separation > 0.0 ? nx_ * ny_ : 0) {}

  bool free(double fs, double ss, const std::vector<TruthSpot>& spots) const {
    if (cells_.empty()) return true;
    const auto [cx, cy] = cell(fs, ss);
    for (std::size_t y = cy == 0 ? 0 : cy - 1; y <= std::min(cy + 1, ny_ - 1); ++y)
      for (std::size_t x = cx == 0 ? 0 : cx - 1; x <= std::min(cx + 1, nx_ - 1); ++x)
        for (const std::size_t s : cells_[y * nx_ + x])
          if (square(spots[s].fs - fs) + square(spots[s].ss - ss) < separation_ * separation_) return false;
    return true;
  }

  void add(std::size_t spot, double fs, double ss) {
    if (cells_.empty()) return;
    const auto [cx, cy] = cell(fs, ss);
    cells_[cy * nx_ + cx].push_back(spot);
  }

 private:
  std::pair<std::size_t, std::size_t> cell(double fs, double ss) const {
    // Centres may lie half a pixel outside the array (a border spot): clamp into the grid.
    const auto index = [&](double v, std::size_t n) {
      return std::min(n - 1, std::size_t(std::max(0.0, (v + 0.5) / cell_)));
    };
    return {index(fs, nx_), index(ss, ny_)};
  }

  double separation_, cell_;
  std::size_t nx_, ny_;
  std::vector<std::vector<std::size_t>> cells_;
};

// A centre on one of the panel's outermost pixels or strictly inside them. The margins of 0.49
// and 0.51 keep the nearest pixel unambiguous.
std::pair<double, double> draw_centre(Rng& rng, const Panel& panel, bool on_border) {
  const double fs_first = double(panel.fs0), fs_last = double(panel.fs0 + panel.columns - 1);
  const double ss_first = double(panel.ss0), ss_last = double(panel.ss0 + panel.rows - 1);
  if (!on_border) return {rng.uniform(fs_first + 0.51, fs_last - 0.51), rng.uniform(ss_first + 0.51, ss_last - 0.51)};
  // An edge with probability proportional to its length; the centre anywhere along it.
  const std::uint64_t k = rng.below(2 * (panel.rows + panel.columns));
  const double across = rng.uniform(-0.49, 0.49);
  if (k < 2 * panel.columns)
    return {rng.uniform(fs_first - 0.49, fs_last + 0.49), (k % 2 == 0 ? ss_first : ss_last) + across};
  return {(k % 2 == 0 ? fs_first : fs_last) + across, rng.uniform(ss_first - 0.49, ss_last + 0.49)};
}

std::vector<TruthSpot> draw_spots(const SerialFrameParams& p, const SerialDetector& d, std::uint64_t frame_index) {
  const auto& s = p.spots;
  std::vector<std::size_t> area_end;
  std::size_t area = 0;
  for (const auto& panel : d.panels) area_end.push_back(area += panel.rows * panel.columns);
  Rng rng = Rng::stream(p.seed, {kSpotStream, frame_index});
  SeparationGrid grid(s.min_separation_px, d.rows, d.columns);
  std::vector<TruthSpot> spots;
  spots.reserve(std::size_t(s.count));
  for (std::int32_t n = 0; n < s.count; ++n) {
    bool placed = false;
    for (int attempt = 0; attempt < kPlacementAttempts && !placed; ++attempt) {
      const std::uint64_t k = rng.below(area);
      const std::size_t i = std::size_t(std::upper_bound(area_end.begin(), area_end.end(), k) - area_end.begin());
      const bool on_border = rng.uniform() < s.border_fraction;
      const auto [fs, ss] = draw_centre(rng, d.panels[i], on_border);
      if (!grid.free(fs, ss, spots)) continue;
      TruthSpot spot;
      spot.fs = fs;
      spot.ss = ss;
      spot.panel = i;
      spot.on_border = on_border;
      spot.sigma_px = rng.uniform(s.width_min_px, s.width_max_px);
      spot.intensity = s.intensity_median * portable_exp(s.intensity_log_sigma * rng.normal());
      grid.add(spots.size(), fs, ss);
      spots.push_back(spot);
      placed = true;
    }
    if (!placed)
      throw std::invalid_argument("spots.count: cannot place " + std::to_string(s.count) + " spots at least " +
                                  number(s.min_separation_px) + " px apart on " + std::to_string(d.rows) + " x " +
                                  std::to_string(d.columns) + " pixels (placed " + std::to_string(n) +
                                  "); lower spots.count or spots.min_separation_px");
  }
  return spots;
}

struct SpotPixel {
  std::size_t index;
  double counts;
};

// Every spot's expected counts on the pixels of its own panel, sorted by pixel index (pixels
// where spots overlap appear once per spot); fills each spot's recorded_intensity.
std::vector<SpotPixel> spot_pixels(const SerialDetector& d, std::vector<TruthSpot>& spots) {
  std::vector<SpotPixel> pixels;
  for (auto& spot : spots) {
    const auto& panel = d.panels[spot.panel];
    const auto half = std::int64_t(std::ceil(4.0 * spot.sigma_px)) + 1;
    const auto fs_first = std::int64_t(std::floor(spot.fs + 0.5)) - half;
    const auto ss_first = std::int64_t(std::floor(spot.ss + 0.5)) - half;
    const std::size_t n = std::size_t(2 * half + 1);
    const auto gx = pixel_profile(spot.fs, spot.sigma_px, fs_first, n);
    const auto gy = pixel_profile(spot.ss, spot.sigma_px, ss_first, n);
    for (std::size_t y = 0; y < n; ++y) {
      const std::int64_t ss = ss_first + std::int64_t(y);
      if (ss < std::int64_t(panel.ss0) || ss >= std::int64_t(panel.ss0 + panel.rows)) continue;
      for (std::size_t x = 0; x < n; ++x) {
        const std::int64_t fs = fs_first + std::int64_t(x);
        if (fs < std::int64_t(panel.fs0) || fs >= std::int64_t(panel.fs0 + panel.columns)) continue;
        const std::size_t index = std::size_t(ss) * d.columns + std::size_t(fs);
        const double counts = spot.intensity * gx[x] * gy[y];
        pixels.push_back({index, counts});
        const auto defect = std::lower_bound(d.defects.begin(), d.defects.end(), index,
                                             [](const DefectPixel& p, std::size_t i) { return p.index < i; });
        if (defect == d.defects.end() || defect->index != index) spot.recorded_intensity += counts;
      }
    }
  }
  // Stable: overlapping spots add up in spot order, whatever the sort does with ties.
  std::stable_sort(pixels.begin(), pixels.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return pixels;
}

template <class T>
void store(io::Frame& frame, std::size_t index, T value) {
  std::memcpy(frame.data.data() + index * sizeof(T), &value, sizeof(T));
}

void store_value(io::Frame& frame, std::size_t index, double value) {
  if (frame.type == io::PixelType::float32) return store(frame, index, static_cast<float>(value));
  // A counting detector saturates rather than wrapping.
  store(frame, index, static_cast<std::int32_t>(std::min(value, 2147483647.0)));
}

}  // namespace

SerialFrame make_serial_frame(const SerialFrameParams& params, std::uint64_t frame_index) {
  return make_serial_frame(params, make_serial_detector(params), frame_index);
}

SerialFrame make_serial_frame(const SerialFrameParams& params, std::shared_ptr<const SerialDetector> detector,
                              std::uint64_t frame_index) {
  check_params(params);
  if (!detector) throw std::invalid_argument("make_serial_frame: no detector");
  const auto& d = *detector;
  SerialFrame result;
  result.spots = draw_spots(params, d, frame_index);
  const auto spot_counts = spot_pixels(d, result.spots);

  auto& frame = result.frame =
      io::make_frame({d.rows, d.columns}, params.pixel_type,
                     "synthetic " + (d.name.empty() ? std::string("detector") : d.name) + " seed " +
                         std::to_string(params.seed) + " frame " + std::to_string(frame_index));
  // Gaps first; the panels overwrite their own pixels.
  for (std::size_t i = 0, n = frame.pixel_count(); i < n; ++i) store_value(frame, i, kGapValue);
  const bool integral = params.pixel_type == io::PixelType::int32;
  for (std::size_t p = 0; p < d.panels.size(); ++p) {
    const auto& panel = d.panels[p];
    for (std::size_t r = 0; r < panel.rows; ++r) {
      // One stream per panel row: rows can be drawn in any order with the same result.
      Rng rng = Rng::stream(params.seed, {kNoiseStream, frame_index, p, r});
      const std::size_t begin = (panel.ss0 + r) * d.columns + panel.fs0;
      auto spot = std::lower_bound(spot_counts.begin(), spot_counts.end(), begin,
                                   [](const SpotPixel& s, std::size_t i) { return s.index < i; });
      for (std::size_t index = begin; index < begin + panel.columns; ++index) {
        double lambda = double(d.background[index]);
        for (; spot != spot_counts.end() && spot->index == index; ++spot) lambda += spot->counts;
        double value = lambda;
        if (params.poisson_noise)
          value = double(poisson(rng, lambda));
        else if (integral)
          value = std::floor(lambda + 0.5);
        store_value(frame, index, value);
      }
    }
  }
  for (const auto& defect : d.defects) store_value(frame, defect.index, defect.value);

  auto& m = frame.metadata;
  m.wavelength_m = params.wavelength_m;
  m.distance_m = params.distance_m;
  m.beam_center_fast_px = d.beam_center_fs_px;
  m.beam_center_slow_px = d.beam_center_ss_px;
  m.pixel_size_fast_m = m.pixel_size_slow_m = d.pixel_size_m;
  result.detector = std::move(detector);
  return result;
}

}  // namespace vulkanite::synthetic
