#pragma once
// What `vulkanite find-peaks` reads: the frames (files, or the synthetic generator), the geometry
// each flavour needs (a radius map and OM's layout; a PONI), the static mask and the range of
// valid pixel values. Every problem is a std::invalid_argument naming the option or the file.
#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/find_peaks_command.hpp"
#include "apps/info_command.hpp"
#include "io/frame_source.hpp"
#include "io/poni.hpp"
#include "reference/peakfinder8.hpp"
#include "apps/file_frames.hpp"
#include "apps/simulate_command.hpp"  // set_synthetic_detector
#include "synthetic/serial_frames.hpp"

namespace vulkanite::apps {

// Every frame of every input in order (read ahead on `read_threads` threads: FileFrames), or
// synthetic frames drawn one at a time; each with its source, its index in that source, and
// (synthetic) its truth spots.
class PeakFeed {
 public:
  PeakFeed(const std::vector<std::string>& files, const FrameRange& range, std::size_t read_threads);
  PeakFeed(const synthetic::SerialFrameParams& params, std::size_t frames);

  std::size_t total() const { return total_; }
  bool synthetic() const { return detector_ != nullptr; }
  const std::shared_ptr<const synthetic::SerialDetector>& detector() const { return detector_; }
  // The first frame, read ahead (next() returns it first); may be called again until next().
  const io::Frame& first();
  // The next frame (valid until the next call), or nullptr after the last.
  const io::Frame* next();
  // Applied to every frame next() returns from now on (FileFrames::set_transform: on the
  // reading threads), the held first frame included.
  void set_transform(FileFrames::Transform transform);

  struct Origin {
    std::string source;
    std::size_t frame = 0;
    std::vector<synthetic::TruthSpot> truth;
  };
  // Origin of frame `index` (as counted by next()); take() hands the truth over and forgets it.
  Origin take(std::size_t index);

 private:
  const io::Frame* read_next();

  std::unique_ptr<FileFrames> files_;  // null for synthetic frames
  std::size_t total_ = 0, produced_ = 0;
  synthetic::SerialFrameParams params_;
  std::shared_ptr<const synthetic::SerialDetector> detector_;
  io::Frame current_;
  bool read_ahead_ = false;
  FileFrames::Transform transform_;  // synthetic frames'
  std::vector<std::optional<Origin>> origins_;
};

// The geometry of a run, for both flavours.
struct PeakGeometry {
  std::array<std::size_t, 2> shape{};      // {rows, columns}
  reference::Peakfinder8Layout layout;     // OM's
  std::vector<float> radius;               // pixels, OM's convention
  std::vector<std::uint8_t> bad;           // 1 = masked (pyFAI's convention), static
  std::optional<io::Poni> poni;            // what the pyFAI flavour needs
  std::string description;                 // for the header: "PONI x.poni", "CrystFEL y.geom", ...
  std::string mask_description;
};

// From --poni / --geom / the synthetic detector, checked against the first frame's shape;
// --mask replaces the geometry's own mask (pyFAI's rule, as in `vulkanite integrate`).
PeakGeometry resolve_peak_geometry(const FindPeaksOptions& options, PeakFeed& feed);

// Pixels outside [low, high] are masked, frame by frame (they become NaN, which both flavours
// leave out). nullopt: every value is used.
using ValidRange = std::optional<std::pair<double, double>>;
// --valid-range: "LOW:HIGH", "all"; empty: for integer frames 0 to the header's count cutoff - 1
// when it has one (overloaded pixels), else 0 to infinity (module gaps and dead pixels of Pilatus
// and Eiger read -1 and -2); for float frames, everything.
ValidRange resolve_valid_range(const std::string& text, const io::Frame& first);
std::string describe(const ValidRange& range);

// Adds to `bad` the pixels of `first` below the range: module gaps and dead pixels, which read
// the same (-1, -2 on Pilatus and Eiger) in every frame. It matters to the pyfai flavour, whose
// bins span the unmasked pixels as pyFAI's do with a mask made from the frame (pyFAI's usual
// (I < 0) | (I > cutoff)); pixels above the range are overloaded in this frame only and stay
// masked frame by frame. Returns how many pixels it added.
std::size_t mask_below_range(std::vector<std::uint8_t>& bad, const io::Frame& first, const ValidRange& range);

// Makes `frame` float32 with NaN outside `range` (a frame of pixels in range: converted only).
void apply_valid_range(io::Frame& frame, const std::pair<double, double>& range);


}  // namespace vulkanite::apps
