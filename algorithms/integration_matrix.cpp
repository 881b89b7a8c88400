#include "algorithms/integration_matrix.hpp"

#include "algorithms/integration_matrix_internal.hpp"

// pyFAI 2026.9 builds the matrix in pyFAI/ext/splitBBox_common.pyx (calc_boundaries,
// SplitBBoxIntegrator.calc_lut_1d / calc_lut_2d), fed by Geometry.array_from_unit
// (pyFAI/geometry/core.py) and driven by AzimuthalIntegrator.setup_sparse_integrator with
// scale=False. Everything below follows those files step by step, in the same precision and the
// same order of operations, so that the float32 coefficients come out with the same bits.
namespace vulkanite::algorithms {
namespace detail {

void clip_scanned(AxisBounds& axis0, AxisBounds& axis1) {
  axis0.min = std::max(0.0, axis0.min);
  axis0.max_in = std::max(0.0, axis0.max_in);
  axis1.max_in = std::min(axis1.max_in, kPiFloat);
  axis1.min = std::max(axis1.min, -kPiFloat);
}

void finish_axis(AxisBounds& axis, const Range& range, const char* name) {
  if (range) {
    axis.min = std::min(range->first, range->second);
    axis.max_in = std::max(range->first, range->second);
  }
  axis.max = axis.max_in > 0 ? axis.max_in * kEps32 : axis.max_in / kEps32;  // calc_upper_bound
  axis.delta = (axis.max - axis.min) / static_cast<double>(axis.bins);
  if (!(axis.delta > 0.0) || !std::isfinite(axis.delta))
    throw std::invalid_argument(std::string("the ") + name + " positions of the unmasked pixels span no range [" +
                                std::to_string(axis.min) + ", " + std::to_string(axis.max_in) + "]: give " + name +
                                "_range");
}

void CsrBuilder::allocate(std::size_t chunks, std::vector<std::size_t>& cursor) {
  row_start_.assign(bins_ + 1, 0);
  for (std::size_t b = 0; b < bins_; ++b) {
    std::size_t at = row_start_[b];
    for (std::size_t t = 0; t < chunks; ++t) {
      const std::size_t count = cursor[t * bins_ + b];
      cursor[t * bins_ + b] = at;
      at += count;
    }
    row_start_[b + 1] = at;
  }
  if (row_start_.back() > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("the integration matrix would have " + std::to_string(row_start_.back()) +
                                " entries, more than 2^32 - 1: use fewer bins or less pixel splitting");
  pixel_.resize(row_start_.back());
  if (coefficients_) coefficient_.resize(row_start_.back());
}

void CsrBuilder::finish(IntegrationMatrix& m) {
  m.row_start.resize(row_start_.size());
  std::transform(row_start_.begin(), row_start_.end(), m.row_start.begin(),
                 [](std::size_t c) { return static_cast<std::uint32_t>(c); });
  m.pixel = std::move(pixel_);
  // "Empty when all are 1": the kernels then skip the coefficient reads.
  if (std::any_of(coefficient_.begin(), coefficient_.end(), [](float c) { return c != 1.0f; }))
    m.coefficient = std::move(coefficient_);
}

CornerGrid corner_grid(const io::PixelGeometry& geometry, io::RadialUnit unit, bool with_chi) {
  const PointPosition position(geometry, unit);
  const std::size_t rows = geometry.shape[0] + 1;
  CornerGrid g;
  g.columns = geometry.shape[1] + 1;
  g.radial.resize(rows * g.columns);
  if (with_chi) g.chi.resize(rows * g.columns);
  parallel_rows(rows, [&](std::size_t first, std::size_t end) {
    for (std::size_t i = first; i < end; ++i)
      for (std::size_t j = 0; j < g.columns; ++j) {
        double chi = 0.0;
        g.radial[i * g.columns + j] =
            static_cast<float>(position(static_cast<double>(i), static_cast<double>(j), with_chi ? &chi : nullptr));
        if (with_chi) g.chi[i * g.columns + j] = static_cast<float>(chi);
      }
  });
  return g;
}

}  // namespace detail

namespace {

using namespace detail;

// pyFAI computes positions in a unit's internal representation (scale=False) and multiplies by
// the unit's scale for output: 2theta in rad, q in nm^-1, r in m (pyFAI/units.py).
struct InternalUnit {
  io::RadialUnit unit;
  double scale;
};

InternalUnit internal_unit(io::RadialUnit unit) {
  switch (unit) {
    case io::RadialUnit::tth_deg: return {io::RadialUnit::tth_rad, 180.0 / kPi};
    case io::RadialUnit::tth_rad: return {io::RadialUnit::tth_rad, 1.0};
    case io::RadialUnit::q_nm: return {io::RadialUnit::q_nm, 1.0};
    case io::RadialUnit::q_A: return {io::RadialUnit::q_nm, 0.1};
    case io::RadialUnit::r_mm: return {io::RadialUnit::r_m, 1000.0};
    case io::RadialUnit::r_m: return {io::RadialUnit::r_m, 1.0};
  }
  throw std::invalid_argument("unknown radial unit");
}

constexpr double kChiDegScale = 180.0 / kPi;  // pyFAI's chi_deg scale

// Python's float modulo: the result takes the sign of the divisor.
double python_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0.0) {
    if ((b < 0.0) != (m < 0.0)) m += b;
  } else {
    m = std::copysign(0.0, b);
  }
  return m;
}

// pyFAI's utils.mathutil.deg2rad with the discontinuity at pi (chiDiscAtPi, pyFAI's default).
double deg2rad(double degrees) {
  double rp = python_mod(degrees / 180.0, 2.0);
  if (rp >= 1.0) rp -= 2.0;
  return rp * kPi;
}

// numpy.linspace(start, stop, num) as numpy 2 evaluates it: k * step + start, the last one = stop.
std::vector<double> linspace(double start, double stop, std::size_t num) {
  std::vector<double> y(num);
  if (num == 1) {
    y[0] = 0.0 * (stop - start) + start;
    return y;
  }
  const double delta = stop - start;
  const double div = static_cast<double>(num - 1);
  const double step = delta / div;
  for (std::size_t k = 0; k < num; ++k) {
    const double kk = static_cast<double>(k);
    y[k] = (step == 0.0 ? kk / div * delta : kk * step) + start;
  }
  y[num - 1] = stop;
  return y;
}

// pyFAI's cpos0, dpos0, cpos1, dpos1 (float64 arrays, one value per pixel):
//   centre = array_from_unit("center"): float64 from the pixel centre;
//   delta  = array_from_unit("delta") = max over the 4 corners of |corner - centre|, where
//            corner_array() is float32 (so each corner is rounded to float first) and, for chi,
//            the distance is taken the short way round: min(d, 2 pi - d).
struct Positions {
  std::vector<double> pos0, dpos0, pos1, dpos1;
};

Positions compute_positions(const io::PixelGeometry& geometry, io::RadialUnit unit, bool with_chi, bool with_delta) {
  const std::size_t rows = geometry.shape[0], cols = geometry.shape[1], pixels = rows * cols;
  const PointPosition position(geometry, unit);
  Positions p;
  p.pos0.resize(pixels);
  if (with_chi) p.pos1.resize(pixels);
  parallel_rows(rows, [&](std::size_t first, std::size_t end) {
    for (std::size_t i = first; i < end; ++i)
      for (std::size_t j = 0; j < cols; ++j) {
        const double d1 = static_cast<double>(i) + 0.5, d2 = static_cast<double>(j) + 0.5;
        p.pos0[i * cols + j] = position(d1, d2, with_chi ? &p.pos1[i * cols + j] : nullptr);
      }
  });
  if (!with_delta) return p;

  const CornerGrid corners = corner_grid(geometry, unit, with_chi);
  p.dpos0.resize(pixels);
  if (with_chi) p.dpos1.resize(pixels);
  parallel_rows(rows, [&](std::size_t first, std::size_t end) {
    for (std::size_t i = first; i < end; ++i)
      for (std::size_t j = 0; j < cols; ++j) {
        const std::size_t idx = i * cols + j;
        double d0 = 0.0, d1 = 0.0;
        for (int c = 0; c < 4; ++c) {
          const std::size_t g = corners.at(i, j, c);
          d0 = std::max(d0, std::abs(static_cast<double>(corners.radial[g]) - p.pos0[idx]));
          if (with_chi) {
            const double d = std::abs(static_cast<double>(corners.chi[g]) - p.pos1[idx]);
            d1 = std::max(d1, d < kTwoPi - d ? d : kTwoPi - d);
          }
        }
        p.dpos0[idx] = d0;
        if (with_chi) p.dpos1[idx] = d1;
      }
  });
  return p;
}

// splitBBox_common.calc_boundaries: min and max of centre -/+ delta over the unmasked pixels.
void scan_boundaries(const Positions& p, const MatrixProblem& problem, bool check_pos1, AxisBounds& axis0,
                     AxisBounds& axis1) {
  const std::size_t size = p.pos0.size();
  const bool split = !p.dpos0.empty();
  std::size_t first = 0;
  while (first < size && problem.masked(first)) ++first;
  if (first == size)
    throw std::invalid_argument("every pixel is masked: give radial_range (and azimuthal_range for 2D) explicitly");
  axis0.min = axis0.max_in = p.pos0[first];
  if (check_pos1) axis1.min = axis1.max_in = p.pos1[first];
  for (std::size_t idx = 0; idx < size; ++idx) {
    if (problem.masked(idx)) continue;
    const double c0 = p.pos0[idx], d0 = split ? p.dpos0[idx] : 0.0;
    axis0.max_in = std::max(axis0.max_in, c0 + d0);
    axis0.min = std::min(axis0.min, c0 - d0);
    if (check_pos1) {
      const double c1 = p.pos1[idx], d1 = split ? p.dpos1[idx] : 0.0;
      axis1.max_in = std::max(axis1.max_in, c1 + d1);
      axis1.min = std::min(axis1.min, c1 - d1);
    }
  }
}

void check_range(const Range& range, const char* name) {
  if (!range) return;
  const auto [lo, hi] = *range;
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw std::invalid_argument(std::string(name) + " must be finite, got [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  if (!(lo < hi))
    throw std::invalid_argument(std::string(name) + " [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                "] is empty or inverted: the lower bound must be below the upper one");
}

// SplitBBoxIntegrator.calc_lut_1d: emit(bin, coefficient) for one pixel.
template <class Emit>
void bbox_1d_pixel(double c0, double d0, const AxisBounds& a0, const Emit& emit) {
  const auto bins = static_cast<std::int64_t>(a0.bins);
  const double fmin = (c0 - d0 - a0.min) / a0.delta;
  const double fmax = (c0 + d0 - a0.min) / a0.delta;
  std::int64_t lo = to_index(fmin), hi = to_index(fmax);
  if (hi < 0 || lo >= bins) return;
  hi = std::min(hi, bins - 1);
  lo = std::max<std::int64_t>(lo, 0);
  if (lo == hi) {
    emit(lo, 1.0);
    return;
  }
  const double inv_area = 1.0 / (fmax - fmin);
  emit(lo, inv_area * (static_cast<double>(lo + 1) - fmin));
  emit(hi, inv_area * (fmax - static_cast<double>(hi)));
  for (std::int64_t b = lo + 1; b < hi; ++b) emit(b, inv_area);
}

// SplitBBoxIntegrator.calc_lut_2d: emit(bin0, bin1, coefficient) for one pixel.
template <class Emit>
void bbox_2d_pixel(double c0, double d0, double c1, double d1, const AxisBounds& a0, const AxisBounds& a1,
                   const Emit& emit) {
  const auto bins0 = static_cast<std::int64_t>(a0.bins), bins1 = static_cast<std::int64_t>(a1.bins);
  const double f0min = (c0 - d0 - a0.min) / a0.delta, f0max = (c0 + d0 - a0.min) / a0.delta;
  const double f1min = (c1 - d1 - a1.min) / a1.delta, f1max = (c1 + d1 - a1.min) / a1.delta;
  std::int64_t lo0 = to_index(f0min), hi0 = to_index(f0max), lo1 = to_index(f1min), hi1 = to_index(f1max);
  if (hi0 < 0 || lo0 >= bins0 || hi1 < 0 || lo1 >= bins1) return;
  hi0 = std::min(hi0, bins0 - 1);
  lo0 = std::max<std::int64_t>(lo0, 0);
  hi1 = std::min(hi1, bins1 - 1);
  lo1 = std::max<std::int64_t>(lo1, 0);
  if (lo0 == hi0 && lo1 == hi1) {
    emit(lo0, lo1, 1.0);
  } else if (lo0 == hi0) {
    const double down = static_cast<double>(lo1 + 1) - f1min, up = f1max - static_cast<double>(hi1);
    const double inv_area = 1.0 / (f1max - f1min);
    emit(lo0, lo1, inv_area * down);
    emit(lo0, hi1, inv_area * up);
    for (std::int64_t j = lo1 + 1; j < hi1; ++j) emit(lo0, j, inv_area);
  } else if (lo1 == hi1) {
    const double inv_area = 1.0 / (f0max - f0min);
    emit(lo0, lo1, inv_area * (static_cast<double>(lo0 + 1) - f0min));
    emit(hi0, lo1, inv_area * (f0max - static_cast<double>(hi0)));
    for (std::int64_t i = lo0 + 1; i < hi0; ++i) emit(i, lo1, inv_area);
  } else {
    const double left = static_cast<double>(lo0 + 1) - f0min, right = f0max - static_cast<double>(hi0);
    const double down = static_cast<double>(lo1 + 1) - f1min, up = f1max - static_cast<double>(hi1);
    const double inv_area = 1.0 / ((f0max - f0min) * (f1max - f1min));
    emit(lo0, lo1, inv_area * left * down);
    emit(lo0, hi1, inv_area * left * up);
    emit(hi0, lo1, inv_area * right * down);
    emit(hi0, hi1, inv_area * right * up);
    for (std::int64_t i = lo0 + 1; i < hi0; ++i) {
      emit(i, lo1, inv_area * down);
      for (std::int64_t j = lo1 + 1; j < hi1; ++j) emit(i, j, inv_area);
      emit(i, hi1, inv_area * up);
    }
    for (std::int64_t j = lo1 + 1; j < hi1; ++j) {
      emit(lo0, j, inv_area * left);
      emit(hi0, j, inv_area * right);
    }
  }
}

// No splitting and bounding-box splitting (splitBBox_common.pyx): the axes from the pixels'
// centres and deltas, then the entries of each pixel.
void build_bbox(const MatrixProblem& problem, bool split, AxisBounds& axis0, AxisBounds& axis1, CsrBuilder& builder) {
  const bool with_chi = problem.two_d || problem.pos1_range.has_value();
  const Positions p = compute_positions(problem.geometry, problem.unit, with_chi, split);
  // pyFAI scans the pixels whenever a range is missing; only the scans whose result is kept matter.
  if (!problem.pos0_range || (problem.two_d && !problem.pos1_range))
    scan_boundaries(p, problem, with_chi, axis0, axis1);
  clip_scanned(axis0, axis1);
  finish_axis(axis0, problem.pos0_range, "radial");
  if (with_chi) finish_axis(axis1, problem.pos1_range, "azimuthal");  // 1D keeps min and max_in: the pixel filter

  const std::size_t nr = axis0.bins;
  const bool check_pos1 = !problem.two_d && problem.pos1_range.has_value();
  builder.build(p.pos0.size(), [&](std::size_t first, std::size_t end, const auto& add) {
    for (std::size_t idx = first; idx < end; ++idx) {
      if (problem.masked(idx)) continue;
      const double c0 = p.pos0[idx], d0 = split ? p.dpos0[idx] : 0.0;
      const auto pixel = static_cast<std::uint32_t>(idx);
      if (problem.two_d) {
        const double c1 = p.pos1[idx], d1 = split ? p.dpos1[idx] : 0.0;
        // pyFAI's 2D bins are radial-major (bin0 * npt_azim + bin1); ours azimuth-major.
        bbox_2d_pixel(c0, d0, c1, d1, axis0, axis1, [&](std::int64_t b0, std::int64_t b1, double c) {
          add(static_cast<std::size_t>(b1) * nr + static_cast<std::size_t>(b0), pixel, static_cast<float>(c));
        });
      } else {
        if (check_pos1) {
          const double c1 = p.pos1[idx], d1 = split ? p.dpos1[idx] : 0.0;
          if (c1 + d1 < axis1.min || c1 - d1 > axis1.max_in) continue;
        }
        bbox_1d_pixel(c0, d0, axis0, [&](std::int64_t b, double c) {
          add(static_cast<std::size_t>(b), pixel, static_cast<float>(c));
        });
      }
    }
  });
}

}  // namespace

IntegrationMatrix build_integration_matrix(const io::PixelGeometry& geometry, std::span<const std::uint8_t> mask,
                                           const IntegrationMatrixOptions& options) {
  const std::size_t rows = geometry.shape[0], cols = geometry.shape[1], pixels = rows * cols;
  if (pixels == 0)
    throw std::invalid_argument("the detector has no pixels (shape " + std::to_string(rows) + " x " +
                                std::to_string(cols) + ")");
  if (pixels > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("the detector has " + std::to_string(pixels) + " pixels, more than 2^32 - 1");
  if (options.radial_bins == 0) throw std::invalid_argument("radial_bins must be at least 1");
  if (!mask.empty() && mask.size() != pixels)
    throw std::invalid_argument("the mask has " + std::to_string(mask.size()) + " values but the detector has " +
                                std::to_string(pixels) + " pixels (" + std::to_string(rows) + " x " +
                                std::to_string(cols) + ")");
  check_range(options.radial_range, "radial_range");
  check_range(options.azimuthal_range, "azimuthal_range");
  const bool two_d = options.azimuthal_bins > 0;
  const std::size_t bins = options.radial_bins * (two_d ? options.azimuthal_bins : 1);
  if (two_d && bins / options.azimuthal_bins != options.radial_bins)
    throw std::invalid_argument("radial_bins x azimuthal_bins overflows");

  const InternalUnit unit = internal_unit(options.unit);
  MatrixProblem problem{.geometry = geometry, .unit = unit.unit, .mask = mask, .two_d = two_d};
  // What integrate1d_ng / integrate2d_ng hand to setup_sparse_integrator(scale=False): the
  // radial range divided by the unit's scale, the azimuthal range in radians via deg2rad with
  // the discontinuity at pi, wrapped forward by 2 pi when it comes out inverted.
  if (options.radial_range)
    problem.pos0_range = std::pair{options.radial_range->first / unit.scale, options.radial_range->second / unit.scale};
  if (options.azimuthal_range) {
    double lo = deg2rad(options.azimuthal_range->first), hi = deg2rad(options.azimuthal_range->second);
    if (hi <= lo) hi += kTwoPi;
    problem.pos1_range = std::pair{lo, hi};
  }

  AxisBounds axis0{.bins = options.radial_bins};
  AxisBounds axis1{.min = -std::numeric_limits<double>::infinity(),
                   .max_in = std::numeric_limits<double>::infinity(),
                   .bins = two_d ? options.azimuthal_bins : 1};
  CsrBuilder builder(bins, options.splitting != Splitting::no);
  if (options.splitting == Splitting::full)
    build_full_split(problem, axis0, axis1, builder);
  else
    build_bbox(problem, options.splitting == Splitting::bbox, axis0, axis1, builder);

  IntegrationMatrix m;
  m.radial_bins = options.radial_bins;
  m.azimuthal_bins = two_d ? options.azimuthal_bins : 0;
  m.pixels = pixels;
  builder.finish(m);
  // Bin centres as pyFAI's integrators report them: linspace over the bins, times the unit's scale.
  m.radial_centers = linspace(axis0.min + 0.5 * axis0.delta, axis0.max - 0.5 * axis0.delta, axis0.bins);
  for (double& c : m.radial_centers) c *= unit.scale;
  if (two_d) {
    m.azimuthal_centers = linspace(axis1.min + 0.5 * axis1.delta, axis1.max - 0.5 * axis1.delta, axis1.bins);
    for (double& c : m.azimuthal_centers) c *= kChiDegScale;
  }
  return m;
}

}  // namespace vulkanite::algorithms
