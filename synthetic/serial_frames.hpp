#pragma once
// Synthetic serial-crystallography frames with Bragg spots at known positions and intensities,
// for testing and demonstrating the peak finders (docs/synthetic_frames.md).
//
// A frame is drawn as: the expected counts of a radial background (an exponential fall-off from
// the beam, a constant, a solvent/powder ring) plus Gaussian spots, then Poisson noise, then the
// detector's defects: module gaps (-1, as Pilatus writes them), dead pixels and hot pixels.
// The same (seed, frame_index) gives the same bits on every platform (synthetic/portable_random.hpp).
//
// Conventions (the peak finders' own, docs/peakfinder8.md):
//   - Pixel coordinates are numpy/CrystFEL indices: pixel (ss, fs) = data[ss][fs] has its centre
//     at (fs, ss) exactly, with fs the fast (column, x) and ss the slow (row, y) index. pyFAI puts
//     the same centre at (fs + 0.5, ss + 0.5) pixel sizes from the detector's corner.
//   - Truth positions, the beam centre and the radius map use this convention: radius(ss, fs) =
//     |(fs, ss) - beam centre|, which is what OM's CrystFEL pixel maps give (pixel (fs, ss) at
//     corner + fs fs_vec + ss ss_vec, no half-pixel shift; oddity 19) for a detector whose corner
//     is at minus the beam centre. The PONI describes the same geometry in pyFAI's convention:
//     poni1 = (beam_ss + 0.5) pixel, poni2 = (beam_fs + 0.5) pixel, no tilts.
//   - A tiled slab (CSPAD-like) stores its ASICs side by side with no gap pixels, as Cheetah's CXI
//     slab does; `gap_px` is the physical gap between neighbouring ASICs, which the radius map
//     and the beam centre include (ASIC (ax, ay)'s pixel (fs, ss) lies at fs + ax gap_px,
//     ss + ay gap_px in physical pixel units). Truth positions stay in slab indices, as the peak
//     finders report them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/frame.hpp"
#include "io/poni.hpp"
#include "reference/peakfinder8.hpp"

namespace vulkanite::synthetic {

// nasics_y x nasics_x ASICs of asic_ny x asic_nx pixels in one slab (OM's layout names).
struct TiledLayout {
  std::size_t asic_nx = 194;  // CSPAD's 2 x 1 halves in Cheetah's slab: 8 x 8 ASICs of 185 x 194
  std::size_t asic_ny = 185;
  std::size_t nasics_x = 8;
  std::size_t nasics_y = 8;
  std::size_t gap_px = 0;  // physical gap between ASICs, pixels (not stored in the slab)
};

// Expected counts per pixel before the spots, as a function of the radius r in pixels:
//   constant + level exp(-r / decay_px) + ring_amplitude exp(-(r - R)^2 / (2 ring_width_px^2)).
// The ring (water's broad ring near 3.2 A by default) sits at the radius R where a d-spacing of
// ring_d_spacing_m diffracts with this geometry, or at ring_radius_px when given.
struct RadialBackground {
  double constant = 2.0;
  double level = 20.0;
  double decay_px = 400.0;
  double ring_amplitude = 6.0;
  double ring_d_spacing_m = 3.2e-10;
  std::optional<double> ring_radius_px;
  double ring_width_px = 25.0;
};

struct SpotParams {
  std::int32_t count = 100;          // spots per frame (signed so that a bad value is reported, not wrapped)
  double intensity_median = 2000.0;  // log-normal integrated intensity, counts: median ...
  double intensity_log_sigma = 1.0;  // ... and standard deviation of its natural log
  double width_min_px = 0.7;         // Gaussian sigma, uniform in [min, max], pixels
  double width_max_px = 1.5;
  double border_fraction = 0.1;    // share whose centre lies in a panel's outermost pixels
  double min_separation_px = 8.0;  // between spot centres, so that each peak has one truth
};

// Detector defects. Their positions and hot values depend on the seed only, not on the frame:
// a run's frames share one detector. Dead and known hot pixels are in the returned mask; the
// other hot pixels are left for the peak finder to cope with.
struct BadPixelParams {
  double dead_fraction = 1e-4;   // of the sensitive pixels
  std::int32_t dead_value = -2;  // Pilatus writes -2 for bad pixels; 0 for a plain dead pixel
  double hot_fraction = 2e-5;
  double hot_known_fraction = 0.5;  // share of the hot pixels that are in the mask
  double hot_min_counts = 1e4;      // hot values, uniform in [min, max]
  double hot_max_counts = 1e6;
};

struct SerialFrameParams {
  // The detector: a built-in one by pyFAI name (io::detector_by_name: module shape, gaps, pixel
  // size); or, with `detector` empty, `tiled` when given, else a plain rows x columns panel.
  std::string detector = "Pilatus1M";
  std::size_t rows = 0, columns = 0;
  std::optional<TiledLayout> tiled;

  // Geometry: a flat detector normal to the beam.
  double distance_m = 0.2;
  double wavelength_m = 1.0e-10;
  std::optional<double> pixel_size_m;       // plain (default 172 um) and tiled (110 um) only; built-ins have theirs
  std::optional<double> beam_center_fs_px;  // physical pixel coordinates; default: the centre of the area
  std::optional<double> beam_center_ss_px;

  RadialBackground background;
  SpotParams spots;
  BadPixelParams bad_pixels;
  bool poisson_noise = true;  // false: the expected counts (rounded for int32)
  std::uint64_t seed = 20240805;
  io::PixelType pixel_type = io::PixelType::int32;  // int32 (a counting detector) or float32
};

// One Bragg spot as drawn: a 2-D Gaussian of total `intensity` counts (the integral over the
// whole plane) centred at (fs, ss). Its light falls on its own panel only (the rest is lost in
// the gap); `recorded_intensity` is the expected count that landed on good pixels of that panel.
struct TruthSpot {
  double fs = 0.0, ss = 0.0;
  double intensity = 0.0;
  double recorded_intensity = 0.0;
  double sigma_px = 0.0;
  std::size_t panel = 0;
  bool on_border = false;  // the centre's nearest pixel is on the panel's outermost rows or columns
};

// A rectangle of sensitive pixels in the frame: a module, an ASIC, or the whole plain panel.
struct Panel {
  std::size_t ss0 = 0, fs0 = 0, rows = 0, columns = 0;
  double physical_ss = 0.0, physical_fs = 0.0;  // where (ss0, fs0) lies in physical pixel units
};

// A defect of the detector: a dead pixel or a hot one, at a flat index of the frame.
struct DefectPixel {
  std::size_t index = 0;
  double value = 0.0;  // what the pixel reads in every frame
  bool hot = false;
  bool known = true;  // in the bad-pixel mask (dead pixels always are)
};

// The detector as the generator resolved it, shared by every frame of a run.
struct SerialDetector {
  std::string name;                   // built-in name, or "" for plain and tiled
  std::size_t rows = 0, columns = 0;  // of the frame array
  double pixel_size_m = 0.0;
  double beam_center_fs_px = 0.0, beam_center_ss_px = 0.0;  // physical pixel coordinates
  double ring_radius_px = 0.0;  // of the background ring (infinite when it misses the detector)
  std::vector<Panel> panels;
  reference::Peakfinder8Layout peakfinder8_layout;  // tiled: the ASICs; else one ASIC, the whole frame
  std::vector<float> radius_px;                     // rows x columns, distance from the beam centre, pixels
  std::vector<float> background;                    // rows x columns, expected background counts (0 in gaps)
  std::vector<std::uint8_t> bad_pixels;  // 1 = bad (gaps, dead, known hot): pyFAI's mask; OM's map is 1 - this
  std::vector<DefectPixel> defects;      // sorted by index
  std::optional<io::Poni> poni;          // absent for a tiled slab with gaps, which no PONI describes
};

struct SerialFrame {
  io::Frame frame;  // {rows, columns}, params.pixel_type; metadata carries the geometry
  std::vector<TruthSpot> spots;
  std::shared_ptr<const SerialDetector> detector;  // radius map, mask, PONI, layout
};

// Throws std::invalid_argument naming the first parameter at fault.
void check_params(const SerialFrameParams& params);

// The detector alone (no frame): what every frame of `params` shares.
std::shared_ptr<const SerialDetector> make_serial_detector(const SerialFrameParams& params);

// Frame `frame_index` of the run `params` describes; the same arguments give the same bits.
SerialFrame make_serial_frame(const SerialFrameParams& params, std::uint64_t frame_index);
// The same, reusing make_serial_detector(params) for a run of frames (no radius map and mask
// per frame).
SerialFrame make_serial_frame(const SerialFrameParams& params, std::shared_ptr<const SerialDetector> detector,
                              std::uint64_t frame_index);

}  // namespace vulkanite::synthetic
