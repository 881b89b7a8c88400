#include "apps/integrate_command.hpp"

#include "apps/file_frames.hpp"

#include "algorithms/integrate.hpp"
#include "algorithms/integration_matrix.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "apps/info_command.hpp"
#include "apps/integrate_output.hpp"
#include "apps/progress.hpp"
#include "io/detectors.hpp"
#include "io/frame_source.hpp"
#include "io/pixel_geometry.hpp"
#include "io/poni.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace vulkanite::apps {
namespace {

using io::shape_text;

// The shortest text that reads back as the same double.
std::string number(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

// "LOW:HIGH", both finite and LOW < HIGH.
std::pair<double, double> parse_range(const std::string& text, const char* option) {
  const auto fail = [&](const std::string& why) -> std::invalid_argument {
    return std::invalid_argument(std::string(option) + ": '" + text + "' " + why);
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw fail("is not LOW:HIGH");
  const auto parse = [&](std::string_view part) {
    double v = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || !std::isfinite(v))
      throw fail("is not LOW:HIGH (two numbers)");
    return v;
  };
  const std::string_view all(text);
  const double low = parse(all.substr(0, colon)), high = parse(all.substr(colon + 1));
  if (!(low < high)) throw fail("is empty: LOW must be below HIGH");
  return {low, high};
}

algorithms::Splitting parse_split(const std::string& name) {
  if (name == "no") return algorithms::Splitting::no;
  if (name == "bbox") return algorithms::Splitting::bbox;
  if (name == "full") return algorithms::Splitting::full;
  throw std::invalid_argument("--split: '" + name + "' is not no, bbox or full");
}

reference::ErrorModel parse_error_model(const std::string& name) {
  if (name == "none") return reference::ErrorModel::none;
  if (name == "poisson") return reference::ErrorModel::poisson;
  if (name == "azimuthal") return reference::ErrorModel::azimuthal;
  throw std::invalid_argument("--error-model: '" + name + "' is not none, poisson or azimuthal");
}

// Every frame of every input, in order, read ahead on `read_threads` threads (FileFrames).
class FrameFeed {
 public:
  FrameFeed(const std::vector<std::string>& files, const FrameRange& range, std::size_t read_threads)
      : files_(files, range, read_threads) {}

  std::size_t total() const { return files_.total(); }
  const std::vector<std::string>& sources() const { return sources_; }

  // The first frame, read ahead for its shape and type; next() then returns it first.
  const io::Frame& first() {
    if (!sources_.empty()) throw std::logic_error("FrameFeed::first after next");
    read_ahead_ = next() != nullptr;
    return current_;
  }

  // The next frame (valid until the next call), or nullptr after the last one.
  const io::Frame* next() {
    if (read_ahead_) {
      read_ahead_ = false;
      return &current_;
    }
    if (!files_.next(current_)) return nullptr;
    sources_.push_back(files_.label());
    if (expected_shape_ && current_.shape != *expected_shape_)
      throw std::invalid_argument(sources_.back() + ": " + shape_text(current_.shape) +
                                  " pixels, but the geometry has " + shape_text(*expected_shape_));
    return &current_;
  }

  // Frames read after this must have `shape`.
  void expect_shape(std::vector<std::size_t> shape) { expected_shape_ = std::move(shape); }

 private:
  FileFrames files_;
  bool read_ahead_ = false;
  io::Frame current_;
  std::vector<std::string> sources_;
  std::optional<std::vector<std::size_t>> expected_shape_;
};

// The detector geometry: the PONI, with --detector replacing its detector, and the frames'
// shape when neither names one (a version-1 PONI with pixel sizes only, like pyFAI's generic
// Detector, which takes the image's shape).
struct Geometry {
  io::Poni poni;
  std::array<std::size_t, 2> shape{};
  std::optional<io::DetectorSpec> detector;  // a built-in detector: module-gap mask, dummy -2
};

Geometry resolve_geometry(const IntegrateOptions& o, const std::vector<std::size_t>& frame_shape,
                          const std::string& frame_source) {
  Geometry g{io::read_poni(o.poni), {}, std::nullopt};
  if (!o.detector.empty()) {
    try {
      g.detector = io::detector_by_name(o.detector);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--detector: ") + e.what());
    }
    g.poni.detector = g.detector->name;
    g.poni.pixel1_m = g.detector->pixel1_m;
    g.poni.pixel2_m = g.detector->pixel2_m;
    g.poni.shape = g.detector->shape;
  } else if (!g.poni.detector.empty()) {
    g.detector = io::detector_by_name(g.poni.detector);
  }
  if (frame_shape.size() != 2)
    throw std::invalid_argument(frame_source + ": frames of " + shape_text(frame_shape) +
                                " pixels; integration takes 2-D frames");
  const std::array<std::size_t, 2> frame{frame_shape[0], frame_shape[1]};
  g.shape = g.poni.shape.value_or(frame);
  if (g.shape != frame)
    throw std::invalid_argument(frame_source + ": " + shape_text(frame[0], frame[1]) + " pixels, but the geometry (" +
                                o.poni + (g.poni.detector.empty() ? "" : ", " + g.poni.detector) + ") has " +
                                shape_text(g.shape[0], g.shape[1]));
  return g;
}

// One image beside the frames (mask, dark, flat, variance): one frame of the geometry's shape.
io::Frame read_side_image(const std::string& path, const char* option, const std::array<std::size_t, 2>& shape) {
  auto source = io::open_frames(path);
  if (source->frame_count() != 1)
    throw std::invalid_argument(std::string(option) + " " + path + ": " + std::to_string(source->frame_count()) +
                                " frames; expected one image");
  auto frame = source->read(0);
  if (frame.shape != std::vector<std::size_t>{shape[0], shape[1]})
    throw std::invalid_argument(std::string(option) + " " + path + ": " + shape_text(frame.shape) +
                                " pixels, but the geometry has " + shape_text(shape[0], shape[1]));
  return frame;
}

std::vector<float> side_image(const std::string& path, const char* option, const std::array<std::size_t, 2>& shape) {
  if (path.empty()) return {};
  return algorithms::frame_as_float(read_side_image(path, option, shape));
}

// pyFAI's Dectris detectors carry DUMMY = -2, DELTA_DUMMY = 1.5, which integrate1d_ng and
// integrate2d_ng (not sigma_clip_ng) apply when no dummy is given, converted through the
// frame's own type as pyFAI's Detector.get_dummies does (-2 is 65534 in a uint16 frame).
float detector_dummy(io::PixelType type) {
  switch (type) {
    case io::PixelType::uint8: return 254.0f;
    case io::PixelType::uint16: return 65534.0f;
    case io::PixelType::uint32: return 4294967294.0f;
    default: return -2.0f;
  }
}

// The options as the library's typed values; everything wrong with them is found here, before
// any file is read or the device opened.
struct Settings {
  bool clip = false;
  FrameRange range;
  algorithms::IntegrationMatrixOptions matrix;
  reference::ErrorModel error_model = reference::ErrorModel::none;
  OutputFormat format = OutputFormat::h5;
};

Settings parse_settings(const IntegrateOptions& o) {
  Settings s;
  s.clip = o.mode == IntegrateMode::sigma_clip;
  if (!o.frames.empty()) s.range = parse_frame_range(o.frames);
  s.matrix.radial_bins = o.npt;
  s.matrix.azimuthal_bins = o.npt_azim;
  try {
    s.matrix.unit = io::parse_radial_unit(o.unit);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--unit: ") + e.what());
  }
  s.matrix.splitting = parse_split(o.split);
  if (!o.radial_range.empty()) s.matrix.radial_range = parse_range(o.radial_range, "--radial-range");
  if (!o.azimuth_range.empty()) s.matrix.azimuthal_range = parse_range(o.azimuth_range, "--azimuth-range");
  s.error_model = o.variance.empty() ? parse_error_model(o.error_model) : reference::ErrorModel::variance;
  if (s.clip && s.error_model == reference::ErrorModel::none)
    throw std::invalid_argument("--error-model: sigma clipping needs poisson, azimuthal or --variance, not none");
  if (o.polarization && !(*o.polarization >= -1.0 && *o.polarization <= 1.0))
    throw std::invalid_argument("--polarization: " + number(*o.polarization) + " is not between -1 and 1");
  s.format = output_format(o.output);
  check_output(o.output, s.format, o.npt_azim > 0);
  return s;
}

// pyFAI's mask rule: the user's mask replaces the detector's (module gaps), it is not added.
std::vector<std::uint8_t> load_mask(const IntegrateOptions& o, const Geometry& g, std::string& description) {
  description = "none";
  if (!o.mask.empty()) {
    const auto values = side_image(o.mask, "--mask", g.shape);
    std::vector<std::uint8_t> mask(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) mask[i] = values[i] != 0.0f;  // NaN is masked too
    description = o.mask;
    return mask;
  }
  if (!g.detector) return {};
  description = g.detector->name + " module gaps";
  return io::module_gap_mask(*g.detector);
}

reference::IntegrationParams integration_params(const IntegrateOptions& o, const Settings& s, const Geometry& g,
                                                io::PixelType frame_type, std::string& dummy_description) {
  reference::IntegrationParams params;
  params.error_model = s.error_model;
  dummy_description = "none";
  if (o.dummy) {
    params.dummy = static_cast<float>(*o.dummy);
    params.delta_dummy = static_cast<float>(o.delta_dummy.value_or(0.0));
    dummy_description = number(*o.dummy) + (o.delta_dummy ? ", delta " + number(*o.delta_dummy) : "");
  } else if (g.detector && !s.clip) {
    params.dummy = detector_dummy(frame_type);
    params.delta_dummy = 1.5f;
    dummy_description = number(*params.dummy) + ", delta 1.5 (pyFAI's default for " + g.detector->name + ")";
  }
  return params;
}

// The geometry and processing, in the order pyFAI's save1D writes its header.
std::vector<std::pair<std::string, std::string>> header_items(const IntegrateOptions& o, const Settings& s,
                                                              const Geometry& g, const std::string& mask,
                                                              const std::string& dummy, const std::string& device) {
  const auto& p = g.poni;
  std::vector<std::pair<std::string, std::string>> header{
      {"PONI file", o.poni},
      {"Detector", p.detector.empty() ? "Detector (generic)" : p.detector},
      {"PixelSize", number(p.pixel1_m) + ", " + number(p.pixel2_m) + " m"},
      {"Shape", shape_text(g.shape[0], g.shape[1])},
      {"Orientation", std::to_string(p.orientation)},
      {"Distance Sample to Detector", number(p.distance_m) + " m"},
      {"PONI", number(p.poni1_m) + ", " + number(p.poni2_m) + " m"},
      {"Rotations", number(p.rot1_rad) + " " + number(p.rot2_rad) + " " + number(p.rot3_rad) + " rad"},
      {"Wavelength", p.wavelength_m ? number(*p.wavelength_m) + " m" : "None"},
      {"Splitting", o.split},
  };
  if (s.matrix.radial_range) header.emplace_back("Radial range", o.radial_range + " " + o.unit);
  if (s.matrix.azimuthal_range) header.emplace_back("Azimuth range", o.azimuth_range + " deg");
  header.insert(header.end(), {
                                  {"Mask applied", mask},
                                  {"Dummy", dummy},
                                  {"Dark current applied", o.dark.empty() ? "False" : o.dark},
                                  {"Flat field applied", o.flat.empty() ? "False" : o.flat},
                                  {"Solid angle correction", o.no_solid_angle ? "False" : "True"},
                                  {"Polarization factor", o.polarization ? number(*o.polarization) : "None"},
                                  {"Error model", o.variance.empty() ? o.error_model : "variance (" + o.variance + ")"},
                              });
  if (s.clip)
    header.emplace_back("Sigma clipping", std::to_string(o.cycles) + " cycles at most, cutoff " + number(o.cutoff));
  header.emplace_back("Device", device);
  return header;
}

}  // namespace

CLI::App* add_integrate_command(CLI::App& app, IntegrateOptions& o, IntegrateMode mode) {
  const bool clip = mode == IntegrateMode::sigma_clip;
  o.mode = mode;
  if (clip) {
    o.split = "no";  // pyFAI's sigma_clip_ng default; it warns against pixel splitting
    o.error_model = "poisson";
  }
  auto* cmd = clip ? app.add_subcommand("sigma-clip", "Sigma-clipped azimuthal mean per radial bin (pyFAI's sigma_clip_ng)")
                   : app.add_subcommand("integrate", "Azimuthal integration, 1D or 2D (pyFAI's integrate1d_ng / integrate2d_ng)");
  cmd->add_option("files", o.files, "Frames: CBF, TIFF, HDF5 or NumPy files; stacks are read frame by frame")->required();
  cmd->add_option("--poni", o.poni, "Geometry: a pyFAI PONI file (version 1, 2 or 2.1)")->required();
  cmd->add_option("--detector", o.detector, "pyFAI detector name (Pilatus6M, Eiger16M, ...): replaces the PONI's");
  cmd->add_option("-o,--output", o.output, "Output: .xy (1D), .h5 (everything) or .npy (intensity)")->required();
  cmd->add_option("--frames", o.frames, "Frames A:B of each file (from 0, B excluded; A:, :B or A alone)");
  cmd->add_option("--npt", o.npt, "Radial bins")->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  if (!clip)
    cmd->add_option("--npt-azim", o.npt_azim, "Azimuthal bins: 0 for 1D, else 2D [npt_azim, npt]")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 16));
  cmd->add_option("--unit", o.unit, "Radial unit: 2th_deg, 2th_rad, q_nm^-1, q_A^-1, r_mm")->capture_default_str();
  cmd->add_option("--split", o.split, "Pixel splitting: no, bbox or full")->capture_default_str();
  cmd->add_option("--radial-range", o.radial_range, "LOW:HIGH in --unit (negative: --radial-range=-1:1)");
  cmd->add_option("--azimuth-range", o.azimuth_range, "LOW:HIGH in degrees (negative: --azimuth-range=-90:90)");
  cmd->add_option_function<double>(
      "--polarization", [&o](const double& v) { o.polarization = v; },
      "Polarization factor, -1 to 1 (0.99 at most synchrotrons); absent: no correction");
  cmd->add_flag("--no-solid-angle", o.no_solid_angle, "Leave out the solid-angle correction");
  cmd->add_option("--error-model", o.error_model,
                  clip ? "Error model: poisson or azimuthal" : "Error model: none, poisson or azimuthal")
      ->capture_default_str();
  cmd->add_option("--variance", o.variance, "Variance image: the variance error model")->excludes("--error-model");
  cmd->add_option("--mask", o.mask, "Mask image, non-zero = masked (default: the detector's module gaps)");
  cmd->add_option("--dark", o.dark, "Dark image, subtracted");
  cmd->add_option("--flat", o.flat, "Flat-field image, divided");
  auto* dummy = cmd->add_option_function<double>(
      "--dummy", [&o](const double& v) { o.dummy = v; }, "Pixels of this value are left out");
  cmd->add_option_function<double>(
         "--delta-dummy", [&o](const double& v) { o.delta_dummy = v; }, "... within this distance of --dummy")
      ->needs(dummy);
  if (clip) {
    cmd->add_option("--cycle", o.cycles, "Clipping cycles at most (pyFAI's max_iter)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint32_t{0}, reference::kMaxSigmaClipCycles));
    cmd->add_option("--cutoff", o.cutoff, "Clip beyond this many standard deviations (pyFAI's thres)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e30));
  }
  cmd->add_option("--frames-in-flight", o.frames_in_flight, "Frames on the GPU at once")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  cmd->add_option("--read-threads", o.read_threads,
                  "Threads reading input files ahead (default: the cores, at most 16; HDF5 is read on one)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  cmd->add_flag("--progress", o.progress, "Show progress on stderr even when it is not a terminal");
  cmd->add_flag("--quiet", o.quiet, "No progress and no summary");
  cmd->footer("Several frames to .xy: NAME_0000.xy, NAME_0001.xy, ... beside --output, one per frame.\n"
              ".h5: every output of every frame; .npy: the intensity, [frames, npt] or [frames, npt_azim, npt].\n"
              "Defaults are pyFAI's. Details: docs/integration_cli.md.");
  return cmd;
}

int integrate_command(const IntegrateOptions& o) {
  const auto settings = parse_settings(o);
  FrameFeed feed(o.files, settings.range, o.read_threads);
  if (feed.total() == 0)
    throw std::invalid_argument("no frames to integrate" + (o.frames.empty() ? "" : " (--frames " + o.frames + ")"));
  const io::Frame& first = feed.first();
  const auto geometry = resolve_geometry(o, first.shape, feed.sources().front());
  const auto first_type = first.type;
  feed.expect_shape({geometry.shape[0], geometry.shape[1]});
  const auto unit = settings.matrix.unit;
  if ((unit == io::RadialUnit::q_nm || unit == io::RadialUnit::q_A) && !geometry.poni.wavelength_m)
    throw std::invalid_argument("--unit " + o.unit + " needs a wavelength, and " + o.poni + " has none");

  std::string mask_description, dummy_description;
  const auto mask = load_mask(o, geometry, mask_description);
  algorithms::CorrectionOptions corrections;
  corrections.solid_angle = !o.no_solid_angle;
  corrections.polarization_factor = o.polarization;
  corrections.dark = side_image(o.dark, "--dark", geometry.shape);
  corrections.flat = side_image(o.flat, "--flat", geometry.shape);
  corrections.variance = side_image(o.variance, "--variance", geometry.shape);
  const io::PixelGeometry pixel_geometry(geometry.poni, geometry.shape);
  const auto pixel_corrections = algorithms::make_pixel_corrections(pixel_geometry, mask, corrections);
  const auto matrix = algorithms::build_integration_matrix(pixel_geometry, mask, settings.matrix);
  const auto params = integration_params(o, settings, geometry, first_type, dummy_description);
  algorithms::BinOperation operation = params;
  if (settings.clip) operation = reference::SigmaClipParams{params, o.cycles, static_cast<float>(o.cutoff)};

  runtime::ContextOptions context_options;
  if (!o.device.empty()) context_options.device = o.device;
  runtime::Context context(context_options);
  const auto& device = context.info().name;
  ResultWriter writer({o.output, settings.format, settings.clip ? "vulkanite sigma-clip" : "vulkanite integrate",
                       settings.clip, settings.error_model != reference::ErrorModel::none, o.unit,
                       matrix.radial_centers, matrix.azimuthal_centers,
                       header_items(o, settings, geometry, mask_description, dummy_description, device)},
                      feed.total());
  algorithms::Integrator integrator(context, matrix, pixel_corrections, o.frames_in_flight);
  const bool show = progress_wanted(o.progress, o.quiet);
  Progress progress(feed.total(), show && (o.progress || feed.total() > 1));
  integrator.stream([&] { return feed.next(); }, operation,
                    [&](std::size_t index, reference::IntegrationResult&& result) {
                      writer.add(index, feed.sources()[index], std::move(result));
                      progress.update(index + 1);
                    });
  const auto written = writer.finish();
  const double seconds = progress.finish();
  if (show) {
    const std::size_t n = feed.total();
    const std::string more = written.size() > 1 ? " ... (" + std::to_string(written.size()) + " files)" : "";
    std::fprintf(stderr, "%s %zu frame%s on %s in %.2f s (%.1f frames/s): %s%s\n",
                 settings.clip ? "sigma-clipped" : "integrated", n, n == 1 ? "" : "s", device.c_str(), seconds,
                 seconds > 0 ? static_cast<double>(n) / seconds : 0.0, written.front().string().c_str(), more.c_str());
  }
  return 0;
}

}  // namespace vulkanite::apps
