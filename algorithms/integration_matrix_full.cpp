// Full pixel splitting, as pyFAI 2026.9 builds it for setup_sparse_integrator(split="full",
// algo="CSR"): pyFAI/ext/splitpixel_common.pyx (calc_boundaries, FullSplitIntegrator.calc_lut_1d)
// with the helpers of regrid_common.pxi (_recenter, _integrate1d, _calc_area). Each pixel is the
// quadrilateral of its four corners in (radial bin, chi) space; its coefficient in a bin is the
// part of its area over that bin, accumulated edge by edge in float32 as pyFAI does.
#include "algorithms/integration_matrix_internal.hpp"

namespace vulkanite::algorithms::detail {
namespace {

// One pixel's corners, pyFAI's v8: [corner][0: radial, 1: chi].
using Quad = double[4][2];

// regrid_common.area4p, precedence included: 0.5 * ((c0 - a0) * (d1 - b1)) - ((c1 - a1) * (d0 - b0)).
double area4p(const Quad& v) {
  return 0.5 * ((v[2][0] - v[0][0]) * (v[3][1] - v[1][1])) - ((v[2][1] - v[0][1]) * (v[3][0] - v[1][0]));
}

// regrid_common._recenter with the discontinuity at pi: a pixel whose algebraic area comes out
// positive straddles it, and its chi corners move to one side of it.
void recenter(Quad& v, double period, int orientation) {
  // Orientations that mirror one axis (2, 4) travel the corners the other way round.
  const double sign = (orientation == 2 || orientation == 4) ? -1.0 : 1.0;
  if (!(period > 0.0 && sign * area4p(v) > 0)) return;
  for (auto& corner : v)
    if (corner[1] < 0) corner[1] += period;
  const double center1 = 0.25 * (v[0][1] + v[1][1] + v[2][1] + v[3][1]);
  if (center1 > 0.5 * period)
    for (auto& corner : v) corner[1] -= period;
}

// regrid_common._calc_area: area under the line between abscissae i1 and i2.
double calc_area(double i1, double i2, double slope, double intercept) {
  return (i2 - i1) * (0.5 * slope * (i2 + i1) + intercept);
}

// regrid_common._integrate1d: adds the signed area under the segment start -> stop to the bins it
// crosses. `buffer` is float32 (buffer_t), so every addition rounds to float.
void integrate1d(std::vector<float>& buffer, double start0, double start1, double stop0, double stop1) {
  if (stop0 == start0) return;
  const auto size = static_cast<std::int64_t>(buffer.size());
  const double fsize = static_cast<double>(size);
  const auto add = [&](std::int64_t i, double area) {
    float& b = buffer[static_cast<std::size_t>(i)];
    b = static_cast<float>(static_cast<double>(b) + area);
  };
  const std::int64_t istart0 = to_index(std::floor(start0)), istop0 = to_index(std::floor(stop0));
  const double slope = (stop1 - start1) / (stop0 - start0);
  const double intercept = start1 - slope * start0;
  if (size > istop0 && istop0 == istart0 && istart0 >= 0) {
    add(istart0, calc_area(start0, stop0, slope, intercept));
  } else if (stop0 > start0) {
    if (0 <= start0 && start0 < fsize) add(istart0, calc_area(start0, std::floor(start0 + 1), slope, intercept));
    for (std::int64_t i = std::max<std::int64_t>(istart0 + 1, 0); i < std::min(istop0, size); ++i)
      add(i, calc_area(static_cast<double>(i), static_cast<double>(i + 1), slope, intercept));
    if (fsize > stop0 && stop0 >= 0) add(istop0, calc_area(static_cast<double>(istop0), stop0, slope, intercept));
  } else {
    if (0 <= start0 && start0 < fsize) add(istart0, calc_area(start0, static_cast<double>(istart0), slope, intercept));
    for (std::int64_t i = std::min(istart0, size) - 1; i > std::max<std::int64_t>(to_index(std::floor(stop0)), -1); --i)
      add(i, calc_area(static_cast<double>(i + 1), static_cast<double>(i), slope, intercept));
    if (fsize > stop0 && stop0 >= 0) add(istop0, calc_area(std::floor(stop0 + 1), stop0, slope, intercept));
  }
}

// regrid_common._integrate2d: adds the signed area under the segment start -> stop to the cells
// of `box` (rows x columns, float32) it lies over, column by column: the area over one radial
// bin is spread from the bottom of the column up, one cell height at a time. pyFAI keeps the
// slope, intercept and the running areas in float32 (its `float` locals); every step below rounds
// where pyFAI's compiled code does (checked against its disassembly and bit for bit on data).
class AreaBox {
 public:
  void reset(std::size_t rows, std::size_t columns) {
    rows_ = rows;
    columns_ = columns;
    if (cells_.size() < rows * columns) cells_.resize(rows * columns);
    std::fill_n(cells_.begin(), rows * columns, 0.0f);
  }
  float at(std::size_t i, std::size_t j) const { return cells_[i * columns_ + j]; }

  void integrate(double start0, double start1, double stop0, double stop1) {
    if (start0 == stop0) return;
    const auto slope = static_cast<float>((stop1 - start1) / (stop0 - start0));
    const auto intercept = static_cast<float>(stop1 - static_cast<double>(slope) * stop0);
    const auto area = [&](double i1, double i2) {
      return static_cast<float>(calc_area(i1, i2, static_cast<double>(slope), static_cast<double>(intercept)));
    };
    // Where one bound is the float32 P, Cython picks _calc_area's float specialisation: the bounds
    // are rounded to float and summed in float; the 0.5 (a double literal) carries the rest in double.
    const auto area_f = [&](float i1, float i2) {
      const float sum = i2 + i1, diff = i2 - i1;
      return static_cast<float>(
          static_cast<double>(diff) *
          (0.5 * static_cast<double>(slope) * static_cast<double>(sum) + static_cast<double>(intercept)));
    };
    if (start0 < stop0) {  // positive contribution
      auto p = static_cast<float>(std::ceil(start0));
      auto dp = static_cast<float>(static_cast<double>(p) - start0);
      if (static_cast<double>(p) > stop0) {  // start0 and stop0 in the same bin
        fill(to_index(start0), area(start0, stop0), static_cast<float>(stop0 - start0));
        return;
      }
      if (dp > 0) fill(to_index(p) - 1, area_f(static_cast<float>(start0), p), dp);
      for (std::int64_t i = to_index(std::floor(static_cast<double>(p))); i < to_index(std::floor(stop0)); ++i)
        fill(i, area(static_cast<double>(i), static_cast<double>(i + 1)), 1.0f);
      p = static_cast<float>(std::floor(stop0));
      dp = static_cast<float>(stop0 - static_cast<double>(p));
      if (dp > 0) fill(to_index(p), area_f(p, static_cast<float>(stop0)), std::fabs(dp));
    } else {  // negative contribution
      auto p = static_cast<float>(std::floor(start0));
      if (stop0 > static_cast<double>(p)) {  // same bin
        fill(to_index(start0), area(start0, stop0), static_cast<float>(start0 - stop0));
        return;
      }
      auto dp = static_cast<float>(static_cast<double>(p) - start0);
      if (dp < 0) fill(to_index(p), area_f(static_cast<float>(start0), p), std::fabs(dp));
      for (std::int64_t i = to_index(start0); i > to_index(std::ceil(stop0)); --i)
        fill(i - 1, area(static_cast<double>(i), static_cast<double>(i - 1)), 1.0f);
      p = static_cast<float>(std::ceil(stop0));
      dp = static_cast<float>(stop0 - static_cast<double>(p));
      if (dp < 0) fill(to_index(stop0), area_f(p, static_cast<float>(stop0)), std::fabs(dp));
    }
  }

 private:
  // Spreads `segment_area` over column `row`: full cells of height dA, the rest in the last one.
  void fill(std::int64_t row, float segment_area, float dA) {
    if (segment_area == 0.0f || row < 0 || static_cast<std::size_t>(row) >= rows_) return;  // pyFAI: unchecked
    float abs_area = std::fabs(segment_area);
    float* cell = &cells_[static_cast<std::size_t>(row) * columns_];
    for (std::size_t h = 0; abs_area > 0 && h < columns_; ++h) {
      if (dA > abs_area) {
        dA = abs_area;
        abs_area = -1;
      }
      cell[h] += std::copysign(dA, segment_area);
      abs_area -= dA;
    }
  }

  std::size_t rows_ = 0, columns_ = 0;
  std::vector<float> cells_;
};

void load_quad(const CornerGrid& g, std::size_t i, std::size_t j, Quad& v) {
  for (int c = 0; c < 4; ++c) {
    const std::size_t at = g.at(i, j, c);
    v[c][0] = g.radial[at];
    v[c][1] = g.chi[at];
  }
}

double min4(double a, double b, double c, double d) { return std::min(std::min(std::min(a, b), c), d); }
double max4(double a, double b, double c, double d) { return std::max(std::max(std::max(a, b), c), d); }

// splitpixel_common.calc_boundaries: min and max of the corners (as they are, not recentred).
void scan_corners(const CornerGrid& g, const MatrixProblem& problem, AxisBounds& axis0, AxisBounds& axis1) {
  const std::size_t rows = problem.geometry.shape[0], cols = problem.geometry.shape[1];
  bool first = true;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      if (problem.masked(i * cols + j)) continue;
      Quad v;
      load_quad(g, i, j, v);
      if (first) {
        axis0.min = axis0.max_in = v[0][0];
        axis1.min = axis1.max_in = v[0][1];
        first = false;
      }
      axis0.max_in = std::max(axis0.max_in, max4(v[0][0], v[1][0], v[2][0], v[3][0]));
      axis0.min = std::min(axis0.min, min4(v[0][0], v[1][0], v[2][0], v[3][0]));
      axis1.max_in = std::max(axis1.max_in, max4(v[0][1], v[1][1], v[2][1], v[3][1]));
      axis1.min = std::min(axis1.min, min4(v[0][1], v[1][1], v[2][1], v[3][1]));
    }
  if (first)
    throw std::invalid_argument("every pixel is masked: give radial_range (and azimuthal_range for 2D) explicitly");
}

// FullSplitIntegrator.calc_lut_1d.
void full_1d(const MatrixProblem& problem, const CornerGrid& corners, const AxisBounds& axis0, const AxisBounds& axis1,
             CsrBuilder& builder) {
  const std::size_t rows = problem.geometry.shape[0], cols = problem.geometry.shape[1];
  const auto bins = static_cast<std::int64_t>(axis0.bins);
  const double fbins = static_cast<double>(bins), pos0_min = axis0.min, delta = axis0.delta;
  const bool check_pos1 = problem.pos1_range.has_value();
  const int orientation = problem.geometry.poni.orientation;
  builder.build(rows * cols, [&](std::size_t first, std::size_t end, const auto& add) {
    std::vector<float> buffer(axis0.bins, 0.0f);  // one pixel's areas per bin; zeroed after each pixel
    for (std::size_t idx = first; idx < end; ++idx) {
      if (problem.masked(idx)) continue;
      Quad v;
      load_quad(corners, idx / cols, idx % cols, v);
      recenter(v, kTwoPi, orientation);  // FullSplitCSR_1d keeps pyFAI's default period, 2 pi
      const double a0 = (v[0][0] - pos0_min) / delta, b0 = (v[1][0] - pos0_min) / delta;
      const double c0 = (v[2][0] - pos0_min) / delta, d0 = (v[3][0] - pos0_min) / delta;
      const double a1 = v[0][1], b1 = v[1][1], c1 = v[2][1], d1 = v[3][1];
      const double min0 = min4(a0, b0, c0, d0), max0 = max4(a0, b0, c0, d0);
      if (max0 < 0 || min0 >= fbins) continue;
      if (check_pos1 && (max4(a1, b1, c1, d1) < axis1.min || min4(a1, b1, c1, d1) > axis1.max_in)) continue;
      const auto pixel = static_cast<std::uint32_t>(idx);
      std::int64_t lo = to_index(std::floor(min0)), hi = to_index(std::floor(max0));
      if (lo == hi) {
        add(static_cast<std::size_t>(lo), pixel, 1.0f);
        continue;
      }
      lo = std::max<std::int64_t>(0, lo);
      hi = std::min(bins, hi + 1);
      integrate1d(buffer, a0, a1, b0, b1);
      integrate1d(buffer, b0, b1, c0, c1);
      integrate1d(buffer, c0, c1, d0, d1);
      integrate1d(buffer, d0, d1, a0, a1);
      double sum_area = 0.0;
      for (std::int64_t b = lo; b < hi; ++b) sum_area += buffer[static_cast<std::size_t>(b)];
      const double inv_area = 1.0 / sum_area;
      for (std::int64_t b = lo; b < hi; ++b) {
        float& area = buffer[static_cast<std::size_t>(b)];
        add(static_cast<std::size_t>(b), pixel, static_cast<float>(static_cast<double>(area) * inv_area));
        area = 0.0f;
      }
    }
  });
}

double clip(double value, double lo, double hi) { return value < lo ? lo : (value > hi ? hi : value); }

// FullSplitIntegrator.calc_lut_2d. Every cell of the pixel's bounding box in bin space gets an
// entry, zero or not, as pyFAI inserts them.
void full_2d(const MatrixProblem& problem, const CornerGrid& corners, const AxisBounds& axis0, const AxisBounds& axis1,
             CsrBuilder& builder) {
  const std::size_t rows = problem.geometry.shape[0], cols = problem.geometry.shape[1], nr = axis0.bins;
  const int orientation = problem.geometry.poni.orientation;
  // setup_sparse_integrator passes the azimuthal unit's period, 360 for chi_deg, although the
  // positions are in radians: pyFAI recentres pixels on the discontinuity by 360, and so do we.
  constexpr double kChiDegPeriod = 360.0;
  builder.build(rows * cols, [&](std::size_t first, std::size_t end, const auto& add) {
    AreaBox box;
    for (std::size_t idx = first; idx < end; ++idx) {
      if (problem.masked(idx)) continue;
      Quad v;
      load_quad(corners, idx / cols, idx % cols, v);
      recenter(v, kChiDegPeriod, orientation);
      if (max4(v[0][0], v[1][0], v[2][0], v[3][0]) < axis0.min ||
          min4(v[0][0], v[1][0], v[2][0], v[3][0]) > axis0.max_in ||
          max4(v[0][1], v[1][1], v[2][1], v[3][1]) < axis1.min || min4(v[0][1], v[1][1], v[2][1], v[3][1]) >= axis1.max)
        continue;
      double p[4][2];  // corners in bin space
      for (int c = 0; c < 4; ++c) {
        p[c][0] = (clip(v[c][0], axis0.min, axis0.max_in) - axis0.min) / axis0.delta;
        p[c][1] = (clip(v[c][1], axis1.min, axis1.max_in) - axis1.min) / axis1.delta;
      }
      const double min0 = min4(p[0][0], p[1][0], p[2][0], p[3][0]), max0 = max4(p[0][0], p[1][0], p[2][0], p[3][0]);
      const double min1 = min4(p[0][1], p[1][1], p[2][1], p[3][1]), max1 = max4(p[0][1], p[1][1], p[2][1], p[3][1]);
      const double foffset0 = std::floor(min0), foffset1 = std::floor(min1);
      const std::int64_t ioffset0 = to_index(foffset0), ioffset1 = to_index(foffset1);
      const std::int64_t w0 = to_index(std::ceil(max0) - foffset0), w1 = to_index(std::ceil(max1) - foffset1);
      for (auto& corner : p) corner[0] -= foffset0, corner[1] -= foffset1;
      box.reset(static_cast<std::size_t>(w0 + 1), static_cast<std::size_t>(w1 + 1));
      for (int c = 0; c < 4; ++c) box.integrate(p[c][0], p[c][1], p[(c + 1) % 4][0], p[(c + 1) % 4][1]);
      double sum_area = 0.0;
      for (std::int64_t a = 0; a < w0; ++a)
        for (std::int64_t b = 0; b < w1; ++b)
          sum_area += box.at(static_cast<std::size_t>(a), static_cast<std::size_t>(b));
      const double inv_area = 1.0 / sum_area;
      const auto pixel = static_cast<std::uint32_t>(idx);
      for (std::int64_t a = 0; a < w0; ++a)
        for (std::int64_t b = 0; b < w1; ++b)
          add(static_cast<std::size_t>(ioffset1 + b) * nr + static_cast<std::size_t>(ioffset0 + a), pixel,
              static_cast<float>(static_cast<double>(box.at(static_cast<std::size_t>(a), static_cast<std::size_t>(b))) *
                                 inv_area));
    }
  });
}

}  // namespace

void build_full_split(const MatrixProblem& problem, AxisBounds& axis0, AxisBounds& axis1, CsrBuilder& builder) {
  const CornerGrid corners = corner_grid(problem.geometry, problem.unit, true);
  if (!problem.pos0_range || !problem.pos1_range) scan_corners(corners, problem, axis0, axis1);
  clip_scanned(axis0, axis1);
  finish_axis(axis0, problem.pos0_range, "radial");
  // 1D uses the azimuthal min and max_in only to filter pixels, and only with a range.
  if (problem.two_d || problem.pos1_range) finish_axis(axis1, problem.pos1_range, "azimuthal");
  if (problem.two_d)
    full_2d(problem, corners, axis0, axis1, builder);
  else
    full_1d(problem, corners, axis0, axis1, builder);
}

}  // namespace vulkanite::algorithms::detail
