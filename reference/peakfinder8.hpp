#pragma once
// Cheetah's peakfinder8 as OM ships it (ondamonitor 23.8.3), "original flavour": the same peaks
// in the same order with the same float bits as OM's C++ extension. Written from the algorithm's
// behaviour (docs/peakfinder8.md), not from OM's code, but every float operation that reaches an
// output is done in OM's order and precision (float accumulators, no fused multiply-add, IEEE
// division and square root), and every oddity of the original is kept on purpose.
//
// The steps, each a function below so that a GPU twin can follow them one by one:
//   1. peakfinder8_mask: OM's Python layer zeroes the bad-pixel map outside [min_res, max_res].
//   2. radial_statistics: 5 passes of per-ring mean and standard deviation of the pixels between
//      the previous pass's lower and upper thresholds (rings: nearest integer of the radius map).
//      Per pixel the test is independent (parallel); per ring the sums are sequential float
//      additions in pixel order (a GPU mirrors them with one invocation per ring walking that
//      ring's pixels in index order).
//   3. find_peaks: a scan over ASICs and pixels that grows connected regions above the ring's
//      threshold, estimates a local background, re-integrates and filters. Sequential by nature:
//      each candidate marks pixels that later candidates and backgrounds skip, and OM's growth
//      list carries stale entries from one candidate (and one ASIC) to the next.
#include <cstdint>
#include <span>
#include <vector>

namespace vulkanite::reference {

// OM's layout information (om.lib.geometry): a frame of nasics_y x nasics_x ASICs, each asic_ny
// rows (slow scan, ss) of asic_nx pixels (fast scan, fs), stored row-major as one
// (asic_ny nasics_y) x (asic_nx nasics_x) array.
struct Peakfinder8Layout {
  std::int32_t asic_nx = 0;
  std::int32_t asic_ny = 0;
  std::int32_t nasics_x = 1;
  std::int32_t nasics_y = 1;

  std::int32_t fs_size() const { return asic_nx * nasics_x; }
  std::int32_t ss_size() const { return asic_ny * nasics_y; }
  std::size_t pixel_count() const { return std::size_t(fs_size()) * std::size_t(ss_size()); }
};

// OM's `peakfinder8_peak_detection` parameter group, same names. OM requires every entry and has
// no defaults; these are the values of OM's own example configuration for a Pilatus
// (docs/files/local/pilatus/monitor.yaml in the ondamonitor source).
struct Peakfinder8Params {
  std::int32_t max_num_peaks = 2048;   // peaks kept, in scan order; the others are dropped
  float adc_threshold = 0.0f;          // floor of each ring's upper threshold
  float minimum_snr = 6.0f;            // ring thresholds are mean +- minimum_snr sigma; peak SNR cut
  std::int32_t min_pixel_count = 1;
  std::int32_t max_pixel_count = 300;
  std::int32_t local_bg_radius = 4;    // the background disk has radius 2 local_bg_radius
  std::int32_t min_res = 50;           // pixels with radius < min_res or > max_res are masked
  std::int32_t max_res = 2000;
};

// OM's radial statistics always run this many passes (hard-coded in its C++).
inline constexpr int kPeakfinder8Iterations = 5;

// OM's fast_mode: the radial statistics use only these pixels (flat indices) with these ring
// numbers, in this order. OM draws them at random (Python's random.sample); pass OM's arrays to
// reproduce a run. Empty = all pixels in row-major order (OM's default).
struct RadialSample {
  std::span<const std::int32_t> pixel_index;
  std::span<const std::int32_t> radius;
};

struct RadialStats {
  std::vector<float> offset;           // mean of the accepted pixels of the last pass (OM's roffset)
  std::vector<float> sigma;            // standard deviation; may be negative, see docs (rsigma)
  std::vector<float> threshold;        // upper threshold for peak pixels (rthreshold)
  std::vector<float> lower_threshold;  // lower threshold of the next pass (lthreshold)
  std::vector<std::int32_t> count;     // pixels accepted in the last pass (rcount)
};

struct Peak8 {
  float fs = 0, ss = 0;         // centre of mass of the raw pixel values, frame pixel indices
  float total_intensity = 0;    // sum over the peak's pixels of (value - background)
  float max_intensity = 0;      // largest (value - background), never below 0 (OM starts at 0)
  float snr = 0;                // total_intensity / sigma (0 when |sigma| <= 1e-10)
  float background = 0;         // local background level (OM's local_offset; OM does not return it)
  std::int32_t pixel_count = 0;
  float sigma = 0;              // local background standard deviation (OM's peak_sigma)
  std::int32_t com_index = 0;   // flat index of the pixel nearest the centre (OM's peak_com_index)
};

struct Peakfinder8Result {
  std::vector<Peak8> peaks;      // at most max_num_peaks, in OM's order
  std::int32_t found = 0;        // peaks accepted before the max_num_peaks cut
};

// Pixel states of the scan (OM's pix_in_peak_map, which OM can copy out as `outliersMask`).
enum class PixelState : std::uint8_t { free = 0, candidate = 1, peak = 2 };

// Step 1: OM's Python layer (Peakfinder8PeakDetection.find_peaks): bad_pixel_map cast to int8, then 0
// where radius < min_res or radius > max_res. Nonzero = use the pixel.
std::vector<std::int8_t> peakfinder8_mask(std::span<const float> radius, std::span<const std::int8_t> bad_pixel_map,
                                          std::int32_t min_res, std::int32_t max_res);

// Ring of a pixel: its radius rounded to the nearest integer, halves to even (C's rint).
std::int32_t ring_of(float radius);

// Number of rings: ceil(largest radius of any pixel, masked or not) + 1.
std::int32_t radial_bin_count(std::span<const float> radius);

// Step 2 (the mask is the effective one from step 1).
RadialStats radial_statistics(std::span<const float> data, std::span<const float> radius,
                              std::span<const std::int8_t> mask, float minimum_snr, float adc_threshold,
                              const RadialSample& sample = {});

// Step 3. `pixel_states` (optional, pixel_count entries) receives the final pixel states.
// Steps 2 and 3 take inputs as peakfinder8 has checked them (sizes, radii, finite data).
Peakfinder8Result find_peaks(const Peakfinder8Layout& layout, std::span<const float> data,
                             std::span<const float> radius, std::span<const std::int8_t> mask,
                             const RadialStats& stats, const Peakfinder8Params& params,
                             std::span<PixelState> pixel_states = {});

// Checks what peakfinder8 checks before it looks at a frame (everything but the data): throws
// std::invalid_argument naming the problem. `bad_pixel_map` is OM's (nonzero = good).
void check_peakfinder8_setup(const Peakfinder8Layout& layout, std::span<const float> radius,
                             std::span<const std::int8_t> bad_pixel_map, const Peakfinder8Params& params,
                             const RadialSample& sample = {});

// All three steps, as OM's Peakfinder8PeakDetection.find_peaks with `bad_pixel_map` (OM's int8
// convention, nonzero = good). Throws std::invalid_argument for sizes that do not match the
// layout, radii that are not finite or round below 0 (OM would index outside its ring arrays),
// infinite values in unmasked pixels (OM would convert a NaN centre to int), and parameters
// outside the range documented in docs/peakfinder8.md.
Peakfinder8Result peakfinder8(const Peakfinder8Layout& layout, std::span<const float> data,
                              std::span<const float> radius, std::span<const std::int8_t> bad_pixel_map,
                              const Peakfinder8Params& params, const RadialSample& sample = {});

}  // namespace vulkanite::reference
