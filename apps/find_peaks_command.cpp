#include "apps/find_peaks_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <stdexcept>

#include "algorithms/integration_matrix.hpp"
#include "algorithms/peakfinder8.hpp"
#include "algorithms/peakfinder8_pyfai.hpp"
#include "algorithms/pixel_corrections.hpp"
#include "apps/find_peaks_input.hpp"
#include "apps/find_peaks_output.hpp"
#include "apps/progress.hpp"
#include "io/pixel_geometry.hpp"

namespace vulkanite::apps {
namespace {

enum class Flavour { cheetah, pyfai };

// An option kept as an optional, so that giving it to the other flavour can be refused.
template <class T>
CLI::Option* optional_option(CLI::App* cmd, const std::string& name, std::optional<T>& target,
                             const std::string& help) {
  return cmd->add_option_function<T>(name, [&target](const T& v) { target = v; }, help);
}

// The flags of the flavour that was not chosen, as the user would have typed them.
std::vector<std::string> flags_of(const FindPeaksOptions& o, Flavour flavour) {
  std::vector<std::string> given;
  const auto add = [&](bool set, const char* name) {
    if (set) given.emplace_back(name);
  };
  if (flavour == Flavour::cheetah) {
    add(o.max_num_peaks.has_value(), "--max-num-peaks");
    add(o.adc_threshold.has_value(), "--adc-threshold");
    add(o.min_snr.has_value(), "--min-snr");
    add(o.min_pixel_count.has_value(), "--min-pixel-count");
    add(o.max_pixel_count.has_value(), "--max-pixel-count");
    add(o.local_bg_radius.has_value(), "--local-bg-radius");
    add(o.min_res.has_value(), "--min-res");
    add(o.max_res.has_value(), "--max-res");
  } else {
    add(o.cutoff_pick.has_value(), "--cutoff-pick");
    add(o.noise.has_value(), "--noise");
    add(o.connected.has_value(), "--connected");
    add(o.patch_size.has_value(), "--patch-size");
    add(o.cycle.has_value(), "--cycle");
    add(o.cutoff_clip.has_value(), "--cutoff-clip");
    add(o.error_model.has_value(), "--error-model");
    add(o.npt.has_value(), "--npt");
    add(o.unit.has_value(), "--unit");
    add(o.solid_angle, "--solid-angle");
  }
  return given;
}

struct Settings {
  Flavour flavour = Flavour::cheetah;
  FrameRange range;
  reference::Peakfinder8Params cheetah;
  reference::Peakfinder8PyfaiParams pyfai;
  std::size_t npt = 1000;
  io::RadialUnit unit = io::RadialUnit::r_mm;
};

// Everything that can be checked before a file is read or the device opened.
Settings parse_settings(const FindPeaksOptions& o) {
  Settings s;
  if (o.flavour == "cheetah" || o.flavour == "original" || o.flavour == "om") s.flavour = Flavour::cheetah;
  else if (o.flavour == "pyfai") s.flavour = Flavour::pyfai;
  else throw std::invalid_argument("--flavour: '" + o.flavour + "' is not cheetah or pyfai");
  const Flavour other = s.flavour == Flavour::cheetah ? Flavour::pyfai : Flavour::cheetah;
  if (const auto wrong = flags_of(o, other); !wrong.empty())
    throw std::invalid_argument(wrong.front() + " is a parameter of --flavour " +
                                (other == Flavour::cheetah ? "cheetah" : "pyfai") + ", not of --flavour " + o.flavour);
  if (o.synthetic > 0 && !o.files.empty())
    throw std::invalid_argument("--synthetic draws its own frames: leave out the files");
  if (o.synthetic == 0 && o.files.empty()) throw std::invalid_argument("frames are required: FILES... or --synthetic N");
  if (o.synthetic > 0 && (!o.poni.empty() || !o.geom.empty()))
    throw std::invalid_argument("--synthetic brings its own geometry: leave out --poni and --geom");
  if (!o.poni.empty() && !o.geom.empty()) throw std::invalid_argument("--poni and --geom: give one geometry, not both");
  if (s.flavour == Flavour::pyfai && !o.geom.empty())
    throw std::invalid_argument("--geom: the pyfai flavour needs a pyFAI geometry (--poni); a CrystFEL geometry "
                                "serves --flavour cheetah");
  if (!o.frames.empty()) s.range = parse_frame_range(o.frames);

  auto& c = s.cheetah;
  c.max_num_peaks = o.max_num_peaks.value_or(c.max_num_peaks);
  c.adc_threshold = o.adc_threshold.value_or(c.adc_threshold);
  c.minimum_snr = o.min_snr.value_or(c.minimum_snr);
  c.min_pixel_count = o.min_pixel_count.value_or(c.min_pixel_count);
  c.max_pixel_count = o.max_pixel_count.value_or(c.max_pixel_count);
  c.local_bg_radius = o.local_bg_radius.value_or(c.local_bg_radius);
  c.min_res = o.min_res.value_or(c.min_res);
  c.max_res = o.max_res.value_or(c.max_res);
  if (c.min_res > c.max_res)
    throw std::invalid_argument("--min-res " + std::to_string(c.min_res) + " is above --max-res " +
                                std::to_string(c.max_res));
  if (c.min_pixel_count > c.max_pixel_count)
    throw std::invalid_argument("--min-pixel-count " + std::to_string(c.min_pixel_count) +
                                " is above --max-pixel-count " + std::to_string(c.max_pixel_count));

  auto& p = s.pyfai;
  p.cutoff_peak = o.cutoff_pick.value_or(p.cutoff_peak);
  p.noise = o.noise.value_or(p.noise);
  p.connected = o.connected.value_or(p.connected);
  p.patch_size = o.patch_size.value_or(p.patch_size);
  p.sigma_clip.cycles = o.cycle.value_or(p.sigma_clip.cycles);
  p.sigma_clip.cutoff = o.cutoff_clip.value_or(p.sigma_clip.cutoff);
  if (o.error_model) {
    const auto& m = *o.error_model;
    if (m == "poisson") p.sigma_clip.integration.error_model = reference::ErrorModel::poisson;
    else if (m == "azimuthal") p.sigma_clip.integration.error_model = reference::ErrorModel::azimuthal;
    else throw std::invalid_argument("--error-model: '" + m + "' is not poisson or azimuthal");
  }
  if (p.patch_size % 2 == 0) throw std::invalid_argument("--patch-size: " + std::to_string(p.patch_size) + " is not odd");
  if (p.connected > p.patch_size * p.patch_size)
    throw std::invalid_argument("--connected: " + std::to_string(p.connected) + " is more than the " +
                                std::to_string(p.patch_size * p.patch_size) + " pixels of a --patch-size " +
                                std::to_string(p.patch_size) + " patch");
  if (s.flavour == Flavour::pyfai) reference::check_params(p);
  s.npt = o.npt.value_or(s.npt);
  try {
    s.unit = io::parse_radial_unit(o.unit.value_or("r_mm"));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--unit: ") + e.what());
  }
  for (const auto& [path, option] : {std::pair{o.cxi, "--cxi"}, {o.hits, "--hits"}, {o.png, "--png"}}) {
    const auto directory = std::filesystem::path(path).parent_path();
    if (!path.empty() && !directory.empty() && !std::filesystem::is_directory(directory))
      throw std::invalid_argument(std::string(option) + " " + path + ": no directory " + directory.string());
  }
  return s;
}

nlohmann::json header_json(const FindPeaksOptions& o, const Settings& s, const PeakGeometry& g, const ValidRange& range,
                           const std::string& device) {
  nlohmann::json params;
  if (s.flavour == Flavour::cheetah) {
    const auto& c = s.cheetah;
    params = {{"max_num_peaks", c.max_num_peaks}, {"adc_threshold", c.adc_threshold}, {"minimum_snr", c.minimum_snr},
              {"min_pixel_count", c.min_pixel_count}, {"max_pixel_count", c.max_pixel_count},
              {"local_bg_radius", c.local_bg_radius}, {"min_res", c.min_res}, {"max_res", c.max_res},
              {"layout", {{"asic_nx", g.layout.asic_nx}, {"asic_ny", g.layout.asic_ny},
                          {"nasics_x", g.layout.nasics_x}, {"nasics_y", g.layout.nasics_y}}}};
  } else {
    const auto& p = s.pyfai;
    params = {{"cutoff_peak", p.cutoff_peak}, {"noise", p.noise}, {"connected", p.connected},
              {"patch_size", p.patch_size}, {"cycle", p.sigma_clip.cycles}, {"cutoff_clip", p.sigma_clip.cutoff},
              {"error_model", p.sigma_clip.integration.error_model == reference::ErrorModel::azimuthal ? "azimuthal" : "poisson"},
              {"npt", s.npt}, {"unit", io::radial_unit_name(s.unit)}, {"solid_angle", o.solid_angle}};
  }
  return {{"command", "vulkanite find-peaks"}, {"flavour", s.flavour == Flavour::cheetah ? "cheetah" : "pyfai"},
          {"parameters", params}, {"geometry", g.description}, {"shape", g.shape}, {"mask", g.mask_description},
          {"valid_range", describe(range)}, {"device", device}};
}

}  // namespace

CLI::App* add_find_peaks_command(CLI::App& app, FindPeaksOptions& o) {
  auto* cmd = app.add_subcommand("find-peaks", "Bragg peaks in many frames: peakfinder8, Cheetah/OM's or pyFAI's");
  cmd->add_option("files", o.files, "Frames: CBF, TIFF, HDF5/CXI or NumPy files; stacks are read frame by frame");
  cmd->add_option("--frames", o.frames, "Frames A:B of each file (from 0, B excluded; A:, :B or A alone)");
  cmd->add_option("--synthetic", o.synthetic, "Search N synthetic frames with known spots instead of files")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  cmd->add_option("--detector", o.detector, "With --synthetic: built-in detector or ROWSxCOLUMNS")->capture_default_str();
  cmd->add_option("--spots", o.spots, "With --synthetic: spots per frame")->capture_default_str()->check(CLI::Range(0, 1000000));
  cmd->add_option("--seed", o.seed, "With --synthetic: seed")->capture_default_str();
  cmd->add_option("--poni", o.poni, "Geometry: a pyFAI PONI file");
  cmd->add_option("--geom", o.geom, "Geometry: a CrystFEL .geom file (--flavour cheetah)");
  cmd->add_option("--flavour", o.flavour, "cheetah (the original peakfinder8, as OM) or pyfai")->capture_default_str();
  const reference::Peakfinder8Params c;
  const auto d = [](auto v) { return " (default " + std::to_string(v) + ")"; };
  optional_option(cmd, "--max-num-peaks", o.max_num_peaks, "cheetah: peaks kept per frame" + d(c.max_num_peaks))
      ->check(CLI::Range(1, 1 << 24));
  optional_option(cmd, "--adc-threshold", o.adc_threshold, "cheetah: floor of the ring thresholds (default 0)");
  optional_option(cmd, "--min-snr", o.min_snr, "cheetah: ring thresholds and peak SNR cut (default 6)");
  optional_option(cmd, "--min-pixel-count", o.min_pixel_count, "cheetah: smallest peak" + d(c.min_pixel_count))
      ->check(CLI::Range(0, 1 << 30));
  optional_option(cmd, "--max-pixel-count", o.max_pixel_count, "cheetah: largest peak" + d(c.max_pixel_count))
      ->check(CLI::Range(0, 1 << 30));
  optional_option(cmd, "--local-bg-radius", o.local_bg_radius, "cheetah: background disk radius / 2" + d(c.local_bg_radius))
      ->check(CLI::Range(0, 1024));
  optional_option(cmd, "--min-res", o.min_res, "cheetah: inner radius, pixels" + d(c.min_res));
  optional_option(cmd, "--max-res", o.max_res, "cheetah: outer radius, pixels" + d(c.max_res));
  optional_option(cmd, "--cutoff-pick,--cutoff-peak", o.cutoff_pick, "pyfai: excess >= this x sigma (default 3)");
  optional_option(cmd, "--noise", o.noise, "pyfai: added quadratically to the background's sigma (default 1)");
  optional_option(cmd, "--connected", o.connected, "pyfai: intense pixels the patch must hold (default 2)");
  optional_option(cmd, "--patch-size", o.patch_size, "pyfai: odd patch width (default 3)")
      ->check(CLI::Range(1u, reference::kPeakfinder8PyfaiMaxPatch));
  optional_option(cmd, "--cycle", o.cycle, "pyfai: sigma-clipping cycles (default 5)")
      ->check(CLI::Range(std::uint32_t{0}, reference::kMaxSigmaClipCycles));
  optional_option(cmd, "--cutoff-clip", o.cutoff_clip, "pyfai: sigma-clipping cutoff (default 5)");
  optional_option(cmd, "--error-model", o.error_model, "pyfai: poisson (default) or azimuthal");
  optional_option(cmd, "--npt", o.npt, "pyfai: radial bins of the background (default 1000)")
      ->check(CLI::Range(std::size_t{2}, std::size_t{1} << 24));
  optional_option(cmd, "--unit", o.unit, "pyfai: radial unit of the bins (default r_mm)");
  cmd->add_flag("--solid-angle", o.solid_angle, "pyfai: correct the solid angle (pyFAI's peakfinder8 does not by default)");
  cmd->add_option("--mask", o.mask, "Mask image, non-zero = masked (replaces the geometry's mask)");
  cmd->add_option("--valid-range", o.valid_range,
                  "LOW:HIGH: pixels outside are masked, frame by frame; 'all' for none (default: docs)");
  cmd->add_flag("--json", o.json, "Print the peaks of every frame as JSON on stdout");
  cmd->add_option("--cxi", o.cxi, "Write CXI peak tables (/entry_1/result_1) to this HDF5 file");
  cmd->add_option("--hits", o.hits, "Write 'source frame npeaks' for each hit to this text file");
  cmd->add_option("--min-peaks", o.min_peaks, "Peaks that make a hit")->capture_default_str();
  cmd->add_option("--png", o.png, "Draw the first frame with its peaks circled into this PNG");
  cmd->add_option("--frames-in-flight", o.frames_in_flight, "cheetah: frames on the GPU at once")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  cmd->add_option("--read-threads", o.read_threads,
                  "Threads reading input files ahead (default: the cores, at most 16; HDF5 is read on one)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  cmd->add_flag("--progress", o.progress, "Show progress on stderr even when it is not a terminal");
  cmd->add_flag("--quiet", o.quiet, "No progress and no summary");
  cmd->footer("Defaults are OM's example Pilatus settings (cheetah) and pyFAI's (pyfai).\n"
              "With --synthetic the summary scores the peaks against the known spots (recall, precision).\n"
              "Details: docs/find_peaks_cli.md.");
  return cmd;
}

int find_peaks_command(const FindPeaksOptions& o, const std::string& device_choice) {
  const auto s = parse_settings(o);
  std::unique_ptr<PeakFeed> feed;
  if (o.synthetic > 0) {
    synthetic::SerialFrameParams params;
    set_synthetic_detector(o.detector, params);
    params.spots.count = o.spots;
    params.seed = o.seed;
    synthetic::check_params(params);
    feed = std::make_unique<PeakFeed>(params, o.synthetic);
  } else {
    feed = std::make_unique<PeakFeed>(o.files, s.range, o.read_threads);
    if (feed->total() == 0)
      throw std::invalid_argument("no frames to search" + (o.frames.empty() ? "" : " (--frames " + o.frames + ")"));
  }
  auto geometry = resolve_peak_geometry(o, *feed);
  const auto range = resolve_valid_range(o.valid_range, feed->first());
  if (const auto added = mask_below_range(geometry.bad, feed->first(), range); added > 0)
    geometry.mask_description += " + " + std::to_string(added) + " pixels below the valid range in the first frame";
  // Frame by frame on the reading threads: on the thread that feeds the GPU it held 64 Pilatus 6M
  // CBF frames at 44 frames/s (set-up included) on the H100 machine from 4 reading threads up.
  if (range) feed->set_transform([range = *range](io::Frame& frame) { apply_valid_range(frame, range); });
  if (s.flavour == Flavour::pyfai && !geometry.poni) throw std::invalid_argument("the pyfai flavour needs a PONI");
  std::vector<std::int8_t> good(geometry.bad.size());
  for (std::size_t i = 0; i < good.size(); ++i) good[i] = static_cast<std::int8_t>(geometry.bad[i] == 0);
  if (s.flavour == Flavour::cheetah) reference::check_peakfinder8_setup(geometry.layout, geometry.radius, good, s.cheetah);

  runtime::ContextOptions context_options;
  if (!device_choice.empty()) context_options.device = device_choice;
  runtime::Context context(context_options);
  const auto& device = context.info().name;

  std::optional<PeakJson> json;
  if (o.json) json.emplace(stdout, header_json(o, s, geometry, range, device));
  std::optional<io::CxiPeakWriter> cxi;
  if (!o.cxi.empty())
    cxi.emplace(o.cxi, static_cast<std::size_t>(s.flavour == Flavour::cheetah ? s.cheetah.max_num_peaks : 2048));
  std::optional<HitList> hits;
  if (!o.hits.empty()) hits.emplace(o.hits, o.min_peaks);

  const bool show = progress_wanted(o.progress, o.quiet);
  Progress progress(feed->total(), show && (o.progress || feed->total() > 1));
  std::size_t frames = 0, hit_count = 0, peak_count = 0, matched = 0, truth = 0, found_scored = 0;
  io::Frame first_frame;
  // The frames as the finder sees them; the first one is kept for --png, whose peaks arrive later.
  const auto next = [&]() -> const io::Frame* {
    const io::Frame* raw = feed->next();
    if (!raw) return nullptr;
    const io::Frame& f = *raw;
    if (f.shape != std::vector<std::size_t>{geometry.shape[0], geometry.shape[1]}) {
      std::string shape;
      for (const auto n : f.shape) shape += (shape.empty() ? "" : " x ") + std::to_string(n);
      throw std::invalid_argument(raw->source + ": " + shape + " pixels, but the geometry has " +
                                  std::to_string(geometry.shape[0]) + " x " + std::to_string(geometry.shape[1]));
    }
    if (!o.png.empty() && first_frame.data.empty()) first_frame = f;
    return &f;
  };
  const auto on_peaks = [&](std::size_t index, FramePeaks& peaks) {
    auto origin = feed->take(index);
    peaks.index = index;
    peaks.source = origin.source;
    peaks.frame = origin.frame;
    if (feed->synthetic()) {
      const auto found = peaks.positions();
      peaks.score = synthetic::score_peaks(found, origin.truth, 2.0);
      matched += peaks.score->matches.size();
      truth += peaks.score->truth_count;
      found_scored += found.size();
    }
    if (json) json->add(peaks);
    if (cxi) cxi->add_frame(peaks.cxi());
    if (hits) hits->add(peaks);
    hit_count += peaks.count() >= o.min_peaks;
    peak_count += peaks.count();
    if (index == 0 && !o.png.empty())
      write_peaks_png(o.png, geometry.shape[0], geometry.shape[1], first_frame.to_float32(), geometry.bad,
                      peaks.positions());
    progress.update(++frames);
  };

  if (s.flavour == Flavour::cheetah) {
    algorithms::Peakfinder8 finder(context, geometry.layout, geometry.radius, good, s.cheetah, {}, o.frames_in_flight);
    progress.restart();
    finder.stream(next, [&](std::size_t index, algorithms::Peakfinder8Output&& out) {
      FramePeaks peaks;
      peaks.cheetah = &out.peaks;
      on_peaks(index, peaks);
    });
  } else {
    const io::PixelGeometry pixels(*geometry.poni, geometry.shape);
    const auto matrix = algorithms::build_integration_matrix(
        pixels, geometry.bad, {.radial_bins = s.npt, .unit = s.unit, .splitting = algorithms::Splitting::no});
    const auto corrections = algorithms::make_pixel_corrections(pixels, geometry.bad, {.solid_angle = o.solid_angle});
    const auto radius = algorithms::peakfinder8_pyfai_radius(pixels, geometry.bad, s.unit);
    algorithms::Peakfinder8Pyfai finder(context, matrix, corrections, geometry.shape, radius);
    progress.restart();  // the integration matrix and the pipelines are set-up, not frames
    finder.stream(
        next, s.pyfai,
        [&](std::size_t index, std::vector<reference::Peakfinder8PyfaiPeak>&& found) {
          FramePeaks peaks;
          peaks.pyfai = &found;
          on_peaks(index, peaks);
        },
        o.frames_in_flight);
  }
  if (cxi) cxi->close();
  if (hits) hits->close();
  const double seconds = progress.finish();
  const double fps = seconds > 0 ? static_cast<double>(frames) / seconds : 0.0;
  nlohmann::json summary = {{"frames", frames}, {"hits", hit_count}, {"min_peaks", o.min_peaks},
                            {"peaks", peak_count}, {"seconds", seconds}, {"frames_per_second", fps},
                            {"device", device}};
  std::string score;
  if (feed->synthetic()) {
    const double recall = truth ? static_cast<double>(matched) / static_cast<double>(truth) : 1.0;
    const double precision = found_scored ? static_cast<double>(matched) / static_cast<double>(found_scored) : 1.0;
    summary["recall"] = recall;
    summary["precision"] = precision;
    summary["truth_spots"] = truth;
    char text[160];
    std::snprintf(text, sizeof text, "; recall %.3f, precision %.3f (%zu of %zu spots, match radius 2 px)", recall,
                  precision, matched, truth);
    score = text;
  }
  if (json) json->finish(summary);
  if (!o.quiet)
    std::fprintf(stderr, "find-peaks (%s): %zu frame%s, %zu hit%s (>= %zu peaks), %zu peaks on %s in %.2f s (%.1f frames/s)%s\n",
                 s.flavour == Flavour::cheetah ? "cheetah" : "pyfai", frames, frames == 1 ? "" : "s", hit_count,
                 hit_count == 1 ? "" : "s", o.min_peaks, peak_count, device.c_str(), seconds, fps, score.c_str());
  return 0;
}

}  // namespace vulkanite::apps
