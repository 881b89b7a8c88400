#pragma once
// Internals shared by algorithms/integration_matrix.cpp (no and bounding-box splitting) and
// algorithms/integration_matrix_full.cpp (full pixel splitting). Not part of the API.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <numbers>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "algorithms/integration_matrix.hpp"
#include "io/pixel_geometry.hpp"

namespace vulkanite::algorithms::detail {

constexpr double kPi = std::numbers::pi;  // Python's math.pi, C's M_PI
constexpr double kTwoPi = 2.0 * kPi;      // pyFAI's TWO_PI and twopi
// pyFAI's regrid_common.pxi declares `float pi = <float> M_PI`: the clip of the azimuthal range
// uses this float32 pi (3.1415927410125732), slightly above M_PI.
constexpr double kPiFloat = static_cast<double>(static_cast<float>(kPi));
// pyFAI's EPS32 = 1 + numpy.finfo(float32).eps, used by calc_upper_bound.
constexpr double kEps32 = 1.0 + 0x1p-23;

using Range = std::optional<std::pair<double, double>>;

// One axis of the histogram: pyFAI's pos0_min, pos0_maxin, pos0_max (= calc_upper_bound(maxin)),
// delta (the bin width) and bins.
struct AxisBounds {
  double min = 0.0;
  double max_in = 0.0;
  double max = 0.0;
  double delta = 0.0;
  std::size_t bins = 1;
};

// What both builders work from; positions in pyFAI's internal units (scale=False).
struct MatrixProblem {
  const io::PixelGeometry& geometry;
  io::RadialUnit unit;  // tth_rad, q_nm or r_m
  std::span<const std::uint8_t> mask;
  Range pos0_range, pos1_range;  // radians for pos1
  bool two_d = false;
  bool masked(std::size_t idx) const { return !mask.empty() && mask[idx] != 0; }
};

// After the scan of the pixels (calc_boundaries): the radial minimum and maximum raised to 0
// (radial units are positive: allow_pos0_neg=False), the azimuthal extent clipped to the float32
// [-pi, pi] (pos1_period > 0, chiDiscAtPi); then the user's ranges replace what they give, the
// top is nudged up (calc_upper_bound) and the bin width computed. Throws for an empty extent.
void clip_scanned(AxisBounds& axis0, AxisBounds& axis1);
void finish_axis(AxisBounds& axis, const Range& range, const char* name);

// <Py_ssize_t> cast of a fractional bin number: truncation toward zero.
inline std::int64_t to_index(double fbin) {
  constexpr double kLimit = 0x1p62;
  if (fbin >= kLimit) return std::int64_t{1} << 62;
  if (!(fbin > -kLimit)) return -(std::int64_t{1} << 62);  // NaN too: x86 gives INT64_MIN, out of range
  return static_cast<std::int64_t>(fbin);
}

// Runs body(chunk) for chunk in [0, chunks) on as many threads; rethrows the first error.
template <class Body>
void parallel_chunks(std::size_t chunks, const Body& body) {
  if (chunks <= 1) {
    body(std::size_t{0});
    return;
  }
  std::vector<std::exception_ptr> errors(chunks);
  std::vector<std::thread> pool;
  pool.reserve(chunks);
  for (std::size_t t = 0; t < chunks; ++t)
    pool.emplace_back([&, t] {
      try {
        body(t);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& thread : pool) thread.join();
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
}

// Runs body(first_row, end_row) over [0, rows) on the hardware threads.
template <class Body>
void parallel_rows(std::size_t rows, const Body& body) {
  const std::size_t threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), std::max<std::size_t>(1, rows / 16));
  parallel_chunks(threads, [&](std::size_t t) { body(rows * t / threads, rows * (t + 1) / threads); });
}

// The rows of the CSR, each in pyFAI's order of pixels (ascending flat index, as its
// SparseBuilder receives them). build() runs `entries(first_pixel, end_pixel, add)`, which calls
// add(bin, pixel, coefficient) for every entry of the pixels in [first, end) in pixel order,
// twice: counting, then filling. The pixels are cut into contiguous chunks, one per thread, each
// with its own counts, so that a row still lists its pixels in order.
class CsrBuilder {
 public:
  CsrBuilder(std::size_t bins, bool coefficients) : bins_(bins), coefficients_(coefficients) {}

  template <class Entries>
  void build(std::size_t pixels, const Entries& entries) {
    // At most ~64 MiB of per-chunk counters, and chunks of 64 Ki pixels at least.
    const std::size_t chunks =
        std::max<std::size_t>(1, std::min({std::size_t{std::max(1u, std::thread::hardware_concurrency())},
                                           pixels / 65536, (std::size_t{64} << 20) / (sizeof(std::size_t) * bins_)}));
    const auto first = [&](std::size_t t) { return pixels * t / chunks; };
    std::vector<std::size_t> cursor(chunks * bins_, 0);  // counts, then each chunk's next slot per bin
    parallel_chunks(chunks, [&](std::size_t t) {
      std::size_t* count = &cursor[t * bins_];
      entries(first(t), first(t + 1), [count](std::size_t bin, std::uint32_t, float) { ++count[bin]; });
    });
    allocate(chunks, cursor);
    parallel_chunks(chunks, [&](std::size_t t) {
      std::size_t* next = &cursor[t * bins_];
      entries(first(t), first(t + 1), [this, next](std::size_t bin, std::uint32_t pixel, float coefficient) {
        const std::size_t at = next[bin]++;
        pixel_[at] = pixel;
        if (coefficients_) coefficient_[at] = coefficient;
      });
    });
  }
  void finish(IntegrationMatrix& m);

 private:
  // Row starts from the chunks' counts; turns each count into that chunk's first slot in the row.
  void allocate(std::size_t chunks, std::vector<std::size_t>& cursor);

  std::size_t bins_;
  bool coefficients_;
  std::vector<std::size_t> row_start_;
  std::vector<std::uint32_t> pixel_;
  std::vector<float> coefficient_;
};

// Radial position (pyFAI's internal unit) and chi of a point at fractional pixel index (d1, d2),
// from PixelGeometry's lab position (t1, t2, t3) with pyFAI's formulas (pyFAI/units.py):
// r = sqrt(t1^2 + t2^2), 2theta = atan2(r, t3), chi = atan2(t1, t2), and q in pyFAI's order of
// operations, (4e-9 pi / wavelength) sin(2theta / 2) (units.formula_q through numexpr for the
// centres, _geometry.f_q for the corners), which rounds differently from PixelGeometry's
// 4e-9 pi sin(2theta / 2) / wavelength. One position() per point serves both coordinates.
class PointPosition {
 public:
  PointPosition(const io::PixelGeometry& geometry, io::RadialUnit unit) : geometry_(geometry), unit_(unit) {
    if (unit == io::RadialUnit::q_nm) {
      if (!geometry.poni.wavelength_m || !(*geometry.poni.wavelength_m > 0.0))
        throw std::invalid_argument("q needs a wavelength and the PONI has none");
      q_factor_ = 4.0e-9 * kPi / *geometry.poni.wavelength_m;
    }
  }
  // Returns the radial position; writes chi where asked.
  double operator()(double d1, double d2, double* chi = nullptr) const {
    const auto [t1, t2, t3] = geometry_.position(d1, d2);
    if (chi) *chi = std::atan2(t1, t2);
    const double r = std::sqrt(t1 * t1 + t2 * t2);
    switch (unit_) {
      case io::RadialUnit::r_m: return r;
      case io::RadialUnit::tth_rad: return std::atan2(r, t3);
      case io::RadialUnit::q_nm: return q_factor_ * std::sin(0.5 * std::atan2(r, t3));
      default: throw std::logic_error("PointPosition: not an internal unit");
    }
  }

 private:
  const io::PixelGeometry& geometry_;
  io::RadialUnit unit_;
  double q_factor_ = 0.0;
};

// pyFAI's corner_array: (radial, chi) of every pixel corner in float32, kept here as the
// (rows + 1) x (columns + 1) grid the corners of neighbouring pixels share.
struct CornerGrid {
  std::size_t columns = 0;  // detector columns + 1
  std::vector<float> radial, chi;
  // Grid index of corner c of pixel (i, j), in pyFAI's order (i, j), (i+1, j), (i+1, j+1), (i, j+1).
  std::size_t at(std::size_t i, std::size_t j, int c) const {
    constexpr std::size_t kDi[4] = {0, 1, 1, 0}, kDj[4] = {0, 0, 1, 1};
    return (i + kDi[c]) * columns + j + kDj[c];
  }
};
CornerGrid corner_grid(const io::PixelGeometry& geometry, io::RadialUnit unit, bool with_chi);

// Full pixel splitting (integration_matrix_full.cpp): sets both axes from the corners and the
// ranges, then runs the builder's two passes.
void build_full_split(const MatrixProblem& problem, AxisBounds& axis0, AxisBounds& axis1, CsrBuilder& builder);

}  // namespace vulkanite::algorithms::detail
