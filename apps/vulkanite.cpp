// The `vulkanite` command line. Strings are parsed here, once; the library takes typed values.
#include "algorithms/self_check.hpp"
#include "apps/devices_command.hpp"
#include "apps/fit_command.hpp"
#include "apps/find_peaks_command.hpp"
#include "apps/info_command.hpp"
#include "apps/integrate_command.hpp"
#include "apps/simulate_command.hpp"
#include "runtime/context.hpp"
#include "runtime/error.hpp"

#include <vulkanite/version.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

namespace {

using namespace vulkanite;

int run_self_check(const std::string& device, std::size_t count) {
  runtime::ContextOptions options;
  if (!device.empty()) options.device = device;
  runtime::Context context(options);
  std::printf("self-check on %s (%s %s)\n", context.info().name.c_str(), context.info().driver_name.c_str(),
              context.info().driver_info.c_str());
  bool ok = true;
  for (const auto& r : algorithms::self_check(context, count)) {
    std::printf("  %-16s %10zu values  %s\n", r.name.c_str(), r.values,
                r.differing == 0 ? "bit-identical to the reference"
                                 : (std::to_string(r.differing) + " differ; first: " + r.first_difference).c_str());
    ok = ok && r.differing == 0;
  }
  std::printf("%s\n", ok ? "self-check passed" : "self-check FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vulkanite: Vulkan compute for X-ray detector frames and batched curve fitting"};
  app.set_version_flag("--version", std::string("vulkanite ") + kVersion + " (" + kGitCommit + ")");
  // At most one; none is reported below, so that an unknown word is named as unexpected.
  app.require_subcommand(0, 1);
  std::string device;
  app.add_option("--device", device, "Device index or name substring (default: $VULKANITE_DEVICE, else the best GPU)");

  bool json = false;
  auto* devices = app.add_subcommand("devices", "List Vulkan devices and the features Vulkanite uses");
  devices->add_flag("--json", json, "Print JSON instead of a table");

  std::size_t count = 1 << 20;
  auto* check = app.add_subcommand("self-check", "Run GPU kernels and compare them bit for bit with the CPU reference");
  check->add_option("--count", count, "Operands per check")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 28));

  apps::InfoOptions info_options;
  std::string frames;
  auto* info = app.add_subcommand("info", "Describe detector files: format, shape, pixel type, statistics, metadata");
  info->add_option("files", info_options.files, "CBF, TIFF, HDF5 or NumPy files")->required();
  info->add_flag("--json", info_options.json, "Print JSON instead of text");
  info->add_option("--frames", frames, "Frames A:B of each file (from 0, B excluded; A:, :B or A alone)");

  apps::IntegrateOptions integrate_options, clip_options;
  auto* integrate = apps::add_integrate_command(app, integrate_options, apps::IntegrateMode::integrate);
  auto* clip = apps::add_integrate_command(app, clip_options, apps::IntegrateMode::sigma_clip);
  apps::SimulateOptions simulate_options;
  auto* simulate = apps::add_simulate_command(app, simulate_options);
  apps::FitOptions fit_options;
  auto* fit = apps::add_fit_command(app, fit_options);
  apps::FindPeaksOptions find_peaks_options;
  auto* find_peaks = apps::add_find_peaks_command(app, find_peaks_options);

  try {
    app.parse(argc, argv);
    if (!frames.empty()) {
      try {
        info_options.frames = apps::parse_frame_range(frames);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError(e.what());
      }
    }
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "vulkanite: error: %s (see vulkanite --help)\n", e.what());
    return e.get_exit_code();
  }
  try {
    if (*devices) return apps::devices_command(json);
    if (*check) return run_self_check(device, count);
    if (*info) return apps::info_command(info_options);
    if (*simulate) return apps::simulate_command(simulate_options);
    if (*fit) return apps::fit_command(fit_options, device);
    if (*find_peaks) return apps::find_peaks_command(find_peaks_options, device);
    if (*integrate || *clip) {
      auto& options = *integrate ? integrate_options : clip_options;
      options.device = device;
      return apps::integrate_command(options);
    }
    std::fprintf(stderr,
                 "vulkanite: error: a command is required: devices, self-check, info, integrate, sigma-clip, "
                 "find-peaks, fit or simulate (see vulkanite --help)\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vulkanite: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
