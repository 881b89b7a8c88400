// The detector half of synthetic/serial_frames.hpp: parameter checks, panels, radius map, defects
// and the PONI. Everything here depends on the parameters and the seed, never on the frame.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_set>

#include "io/detectors.hpp"
#include "synthetic/portable_random.hpp"
#include "synthetic/serial_frames.hpp"

namespace vulkanite::synthetic {
namespace {

// Random streams of a run: one purpose each, so that changing how many spots are drawn leaves
// the defects and the noise of other rows alone.
constexpr std::uint64_t kDefectStream = 1;

constexpr double kDefaultPlainPixelM = 172e-6;  // Pilatus
constexpr double kDefaultTiledPixelM = 110e-6;  // CSPAD

std::string number(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

void require_positive(double v, const char* name) {
  require(std::isfinite(v) && v > 0.0, std::string(name) + ": " + number(v) + " must be positive and finite");
}

void require_non_negative(double v, const char* name) {
  require(std::isfinite(v) && v >= 0.0, std::string(name) + ": " + number(v) + " must be finite and >= 0");
}

void require_fraction(double v, const char* name) {
  require(v >= 0.0 && v <= 1.0, std::string(name) + ": " + number(v) + " must be between 0 and 1");
}

// The panels' minimum: an interior pixel for spots that are not on a border.
constexpr std::size_t kMinPanelSide = 3;

void check_panel_side(std::size_t n, const char* name) {
  require(n >= kMinPanelSide, std::string(name) + ": " + std::to_string(n) + " pixels; panels need at least " +
                                  std::to_string(kMinPanelSide) + " (spots need an interior)");
}

void check_detector(const SerialFrameParams& p) {
  if (!p.detector.empty()) {
    require(!p.tiled && p.rows == 0 && p.columns == 0,
            "detector: '" + p.detector + "' is a built-in detector; leave rows, columns and tiled unset");
    require(!p.pixel_size_m, "pixel_size_m: " + p.detector + " has its own pixel size; leave it unset");
    try {
      (void)io::detector_by_name(p.detector);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("detector: ") + e.what());
    }
  } else if (p.tiled) {
    require(p.rows == 0 && p.columns == 0, "tiled: the slab's size comes from the ASICs; leave rows and columns unset");
    const auto& t = *p.tiled;
    check_panel_side(t.asic_nx, "tiled.asic_nx");
    check_panel_side(t.asic_ny, "tiled.asic_ny");
    require(t.nasics_x > 0 && t.nasics_y > 0, "tiled: nasics_x and nasics_y must be at least 1");
    require(t.gap_px <= 10000, "tiled.gap_px: " + std::to_string(t.gap_px) + " is not a plausible gap");
  } else {
    require(p.rows > 0 && p.columns > 0, "rows x columns: " + std::to_string(p.rows) + " x " +
                                             std::to_string(p.columns) +
                                             ": a plain detector needs both (or a built-in detector name)");
    check_panel_side(p.rows, "rows");
    check_panel_side(p.columns, "columns");
  }
  const auto n = p.detector.empty() && p.tiled
                     ? (p.tiled->asic_nx * p.tiled->nasics_x) * (p.tiled->asic_ny * p.tiled->nasics_y)
                     : p.rows * p.columns;
  require(n <= (std::size_t{1} << 31), "rows x columns: more than 2^31 pixels");
  if (p.pixel_size_m) require_positive(*p.pixel_size_m, "pixel_size_m");
}

}  // namespace

void check_params(const SerialFrameParams& p) {
  check_detector(p);
  require_positive(p.distance_m, "distance_m");
  require_positive(p.wavelength_m, "wavelength_m");
  if (p.beam_center_fs_px) require(std::isfinite(*p.beam_center_fs_px), "beam_center_fs_px: must be finite");
  if (p.beam_center_ss_px) require(std::isfinite(*p.beam_center_ss_px), "beam_center_ss_px: must be finite");

  const auto& b = p.background;
  require_non_negative(b.constant, "background.constant");
  require_non_negative(b.level, "background.level");
  require_positive(b.decay_px, "background.decay_px");
  require_non_negative(b.ring_amplitude, "background.ring_amplitude");
  require_positive(b.ring_width_px, "background.ring_width_px");
  if (b.ring_radius_px)
    require_non_negative(*b.ring_radius_px, "background.ring_radius_px");
  else
    require_positive(b.ring_d_spacing_m, "background.ring_d_spacing_m");

  const auto& s = p.spots;
  require(s.count >= 0, "spots.count: " + std::to_string(s.count) + " is negative");
  require(s.count <= 1000000, "spots.count: " + std::to_string(s.count) + " is more than 1000000 per frame");
  require_positive(s.intensity_median, "spots.intensity_median");
  require_non_negative(s.intensity_log_sigma, "spots.intensity_log_sigma");
  require(s.intensity_log_sigma <= 5.0, "spots.intensity_log_sigma: " + number(s.intensity_log_sigma) + " is above 5");
  // Below 0.3 px a spot is a single pixel and Simpson's rule over a pixel no longer integrates it
  // well; above 20 px it is no Bragg spot.
  require(std::isfinite(s.width_min_px) && s.width_min_px >= 0.3,
          "spots.width_min_px: " + number(s.width_min_px) + " px is below 0.3 px");
  require(std::isfinite(s.width_max_px) && s.width_max_px <= 20.0,
          "spots.width_max_px: " + number(s.width_max_px) + " px is above 20 px");
  require(s.width_min_px <= s.width_max_px, "spots.width_min_px: " + number(s.width_min_px) +
                                                " px is above spots.width_max_px (" + number(s.width_max_px) + " px)");
  require_fraction(s.border_fraction, "spots.border_fraction");
  require_non_negative(s.min_separation_px, "spots.min_separation_px");

  const auto& d = p.bad_pixels;
  require_fraction(d.dead_fraction, "bad_pixels.dead_fraction");
  require_fraction(d.hot_fraction, "bad_pixels.hot_fraction");
  require(d.dead_fraction + d.hot_fraction <= 0.5, "bad_pixels: dead_fraction + hot_fraction must be at most 0.5");
  require(d.dead_value <= 0 && d.dead_value != -1,
          "bad_pixels.dead_value: " + std::to_string(d.dead_value) + " must be 0 or negative, and not -1 (the gaps')");
  require_fraction(d.hot_known_fraction, "bad_pixels.hot_known_fraction");
  require_positive(d.hot_min_counts, "bad_pixels.hot_min_counts");
  require(d.hot_min_counts <= d.hot_max_counts && d.hot_max_counts <= 2147483647.0,
          "bad_pixels.hot_max_counts: " + number(d.hot_max_counts) + " must lie between hot_min_counts and 2^31 - 1");

  require(p.pixel_type == io::PixelType::int32 || p.pixel_type == io::PixelType::float32,
          std::string("pixel_type: ") + io::pixel_type_name(p.pixel_type) + " is not int32 or float32");
}

namespace {

// Module or ASIC rectangles, and the frame's size.
void make_panels(const SerialFrameParams& p, SerialDetector& d) {
  if (!p.detector.empty()) {
    const auto spec = io::detector_by_name(p.detector);
    d.name = spec.name;
    d.rows = spec.shape[0];
    d.columns = spec.shape[1];
    d.pixel_size_m = spec.pixel1_m;
    const std::size_t pitch_y = spec.module_shape[0] + spec.module_gap[0];
    const std::size_t pitch_x = spec.module_shape[1] + spec.module_gap[1];
    for (std::size_t ss0 = 0; ss0 < d.rows; ss0 += pitch_y)
      for (std::size_t fs0 = 0; fs0 < d.columns; fs0 += pitch_x)
        d.panels.push_back({ss0, fs0, spec.module_shape[0], spec.module_shape[1], double(ss0), double(fs0)});
    d.peakfinder8_layout = {std::int32_t(d.columns), std::int32_t(d.rows), 1, 1};
  } else if (p.tiled) {
    const auto& t = *p.tiled;
    d.rows = t.asic_ny * t.nasics_y;
    d.columns = t.asic_nx * t.nasics_x;
    d.pixel_size_m = p.pixel_size_m.value_or(kDefaultTiledPixelM);
    for (std::size_t ay = 0; ay < t.nasics_y; ++ay)
      for (std::size_t ax = 0; ax < t.nasics_x; ++ax)
        d.panels.push_back({ay * t.asic_ny, ax * t.asic_nx, t.asic_ny, t.asic_nx, double(ay * (t.asic_ny + t.gap_px)),
                            double(ax * (t.asic_nx + t.gap_px))});
    d.peakfinder8_layout = {std::int32_t(t.asic_nx), std::int32_t(t.asic_ny), std::int32_t(t.nasics_x),
                            std::int32_t(t.nasics_y)};
  } else {
    d.rows = p.rows;
    d.columns = p.columns;
    d.pixel_size_m = p.pixel_size_m.value_or(kDefaultPlainPixelM);
    d.panels.push_back({0, 0, p.rows, p.columns, 0.0, 0.0});
    d.peakfinder8_layout = {std::int32_t(d.columns), std::int32_t(d.rows), 1, 1};
  }
}

// Radius of every pixel, gap pixels included (OM's radius map covers the whole array). Computed
// in double and rounded once to float32, the type OM's peakfinder8 takes.
void make_radius_map(const SerialFrameParams& p, SerialDetector& d) {
  double physical_rows = double(d.rows), physical_columns = double(d.columns);
  if (p.detector.empty() && p.tiled) {
    physical_rows += double((p.tiled->nasics_y - 1) * p.tiled->gap_px);
    physical_columns += double((p.tiled->nasics_x - 1) * p.tiled->gap_px);
  }
  d.beam_center_fs_px = p.beam_center_fs_px.value_or((physical_columns - 1.0) / 2.0);
  d.beam_center_ss_px = p.beam_center_ss_px.value_or((physical_rows - 1.0) / 2.0);
  d.radius_px.assign(d.rows * d.columns, 0.0f);
  // Built-in detectors keep their gaps in the array: physical = array coordinates everywhere.
  const bool tiled = p.detector.empty() && p.tiled;
  const std::vector<Panel> whole{{0, 0, d.rows, d.columns, 0.0, 0.0}};
  for (const auto& panel : tiled ? d.panels : whole) {
    for (std::size_t r = 0; r < panel.rows; ++r) {
      const double dy = panel.physical_ss + double(r) - d.beam_center_ss_px;
      float* row = d.radius_px.data() + (panel.ss0 + r) * d.columns + panel.fs0;
      for (std::size_t c = 0; c < panel.columns; ++c) {
        const double dx = panel.physical_fs + double(c) - d.beam_center_fs_px;
        row[c] = static_cast<float>(std::sqrt(dx * dx + dy * dy));
      }
    }
  }
}

// Where the background ring lies: 2 theta from Bragg's law, tan 2theta from sin theta by algebra
// (the C library's asin and tan differ between platforms in the last bit).
double ring_radius(const SerialFrameParams& p, double pixel_size_m) {
  const auto& b = p.background;
  if (b.ring_radius_px) return *b.ring_radius_px;
  const double s = p.wavelength_m / (2.0 * b.ring_d_spacing_m);
  require(s < 1.0, "background.ring_d_spacing_m: " + number(b.ring_d_spacing_m) + " m cannot diffract at wavelength " +
                       number(p.wavelength_m) + " m (it needs d > wavelength / 2)");
  const double c2 = 1.0 - s * s;
  // 2 theta >= 90 degrees: the ring never meets a flat detector facing the beam.
  if (c2 - s * s <= 0.0) return std::numeric_limits<double>::infinity();
  const double tan_2theta = 2.0 * s * std::sqrt(c2) / (c2 - s * s);
  return p.distance_m * tan_2theta / pixel_size_m;
}

// The expected background of every sensitive pixel, from its radius; 0 in the gaps. Rounded to
// float32 like the radius map: half the memory, and the same bits everywhere all the same.
void make_background(const RadialBackground& b, SerialDetector& d) {
  d.background.assign(d.rows * d.columns, 0.0f);
  for (const auto& panel : d.panels)
    for (std::size_t r = 0; r < panel.rows; ++r) {
      const std::size_t begin = (panel.ss0 + r) * d.columns + panel.fs0;
      for (std::size_t i = begin; i < begin + panel.columns; ++i) {
        const double radius = double(d.radius_px[i]);
        double counts = b.constant;
        if (b.level > 0.0) counts += b.level * portable_exp(-radius / b.decay_px);
        if (b.ring_amplitude > 0.0 && std::isfinite(d.ring_radius_px)) {
          const double x = (radius - d.ring_radius_px) / b.ring_width_px;
          counts += b.ring_amplitude * portable_exp(-0.5 * x * x);
        }
        d.background[i] = static_cast<float>(counts);
      }
    }
}

// Dead and hot pixels, drawn from the seed alone, at distinct sensitive pixels.
void make_defects(const SerialFrameParams& p, SerialDetector& d) {
  std::vector<std::size_t> area_end;  // cumulative pixel counts of the panels
  std::size_t area = 0;
  for (const auto& panel : d.panels) area_end.push_back(area += panel.rows * panel.columns);
  const auto& b = p.bad_pixels;
  const auto dead = static_cast<std::size_t>(std::floor(b.dead_fraction * double(area) + 0.5));
  const auto hot = static_cast<std::size_t>(std::floor(b.hot_fraction * double(area) + 0.5));
  Rng rng = Rng::stream(p.seed, {kDefectStream});
  std::unordered_set<std::size_t> taken;
  while (d.defects.size() < dead + hot) {
    const std::size_t k = rng.below(area);
    const std::size_t i = std::size_t(std::upper_bound(area_end.begin(), area_end.end(), k) - area_end.begin());
    const auto& panel = d.panels[i];
    const std::size_t local = k - (i == 0 ? 0 : area_end[i - 1]);
    const std::size_t index = (panel.ss0 + local / panel.columns) * d.columns + panel.fs0 + local % panel.columns;
    if (!taken.insert(index).second) continue;
    DefectPixel defect{index, double(b.dead_value), false, true};
    if (d.defects.size() >= dead) {
      defect.hot = true;
      defect.value = std::floor(rng.uniform(b.hot_min_counts, b.hot_max_counts) + 0.5);
      defect.known = rng.uniform() < b.hot_known_fraction;
    }
    d.defects.push_back(defect);
  }
  std::sort(d.defects.begin(), d.defects.end(), [](const auto& x, const auto& y) { return x.index < y.index; });
}

void make_mask(const SerialFrameParams& p, SerialDetector& d) {
  d.bad_pixels = p.detector.empty() ? std::vector<std::uint8_t>(d.rows * d.columns, 0)
                                    : io::module_gap_mask(io::detector_by_name(p.detector));
  for (const auto& defect : d.defects)
    if (defect.known) d.bad_pixels[defect.index] = 1;
}

std::optional<io::Poni> make_poni(const SerialFrameParams& p, const SerialDetector& d) {
  if (p.detector.empty() && p.tiled && p.tiled->gap_px > 0) return std::nullopt;
  io::Poni poni;
  poni.version = "2.1";
  poni.detector = d.name;
  poni.pixel1_m = poni.pixel2_m = d.pixel_size_m;
  poni.shape = std::array<std::size_t, 2>{d.rows, d.columns};
  poni.distance_m = p.distance_m;
  // pyFAI measures from the corner of pixel (0, 0); our coordinates from its centre.
  poni.poni1_m = (d.beam_center_ss_px + 0.5) * d.pixel_size_m;
  poni.poni2_m = (d.beam_center_fs_px + 0.5) * d.pixel_size_m;
  poni.wavelength_m = p.wavelength_m;
  return poni;
}

}  // namespace

std::shared_ptr<const SerialDetector> make_serial_detector(const SerialFrameParams& params) {
  check_params(params);
  auto d = std::make_shared<SerialDetector>();
  make_panels(params, *d);
  make_radius_map(params, *d);
  d->ring_radius_px = ring_radius(params, d->pixel_size_m);
  make_background(params.background, *d);
  make_defects(params, *d);
  make_mask(params, *d);
  d->poni = make_poni(params, *d);
  return d;
}

}  // namespace vulkanite::synthetic
