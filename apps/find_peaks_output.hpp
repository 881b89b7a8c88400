#pragma once
// Where `vulkanite find-peaks` puts the peaks of each frame (docs/find_peaks_cli.md, "Outputs"):
//   --json   one JSON document on stdout, written as frames come: a header (flavour, parameters,
//            geometry, device), "frames": [{index, source, frame, peaks: [...]}, ...], "summary";
//   --cxi    CXI peak tables (io::CxiPeakWriter), one row per frame, as Cheetah/OM write them;
//   --hits   text, one "source frame npeaks" line per frame with at least --min-peaks peaks;
//   --png    the first frame, log-scaled grey, its peaks circled in red.
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/cxi_peaks.hpp"
#include "reference/peakfinder8.hpp"
#include "reference/peakfinder8_pyfai.hpp"
#include "synthetic/peak_scoring.hpp"

namespace vulkanite::apps {

// One frame's peaks, of either flavour (exactly one of the pointers is set).
struct FramePeaks {
  std::size_t index = 0;  // position among all frames processed, from 0
  std::string source;     // the file, or "synthetic"
  std::size_t frame = 0;  // frame within its file
  const reference::Peakfinder8Result* cheetah = nullptr;
  const std::vector<reference::Peakfinder8PyfaiPeak>* pyfai = nullptr;
  std::optional<synthetic::PeakScore> score;  // against the synthetic truth

  std::size_t count() const;
  // (fs, ss) with pixel centres at integers: OM's fs, ss; pyFAI's pos1, pos0.
  std::vector<synthetic::PeakPosition> positions() const;
  // Cheetah's columns. pyFAI's peakfinder8 has no maximum value nor pixel count (0 here), and its
  // SNR is intensity / sigma.
  std::vector<io::CxiPeak> cxi() const;
  nlohmann::json to_json() const;
};

// Writes {"header": ..., "frames": [ ... ], "summary": ...} to `out` piece by piece, so that a long
// run neither waits nor holds every frame.
class PeakJson {
 public:
  PeakJson(std::FILE* out, const nlohmann::json& header);
  void add(const FramePeaks& frame);
  void finish(const nlohmann::json& summary);

 private:
  std::FILE* out_;
  std::size_t frames_ = 0;
};

// "source frame npeaks" per hit; throws std::runtime_error naming the file when it cannot write.
class HitList {
 public:
  HitList(const std::filesystem::path& path, std::size_t min_peaks);
  bool add(const FramePeaks& frame);  // true for a hit (written)
  void close();

 private:
  std::filesystem::path path_;
  std::size_t min_peaks_;
  std::ofstream out_;
};

// An 8-bit RGB PNG of a rows x columns frame: log(1 + v) grey from 0 to the 99.9th percentile of
// the finite values above 0 (NaN and masked pixels black), each peak circled in red (radius 6).
void write_peaks_png(const std::filesystem::path& path, std::size_t rows, std::size_t columns,
                     std::span<const float> values, std::span<const std::uint8_t> bad,
                     std::span<const synthetic::PeakPosition> peaks);

}  // namespace vulkanite::apps
