#pragma once
// A one-line progress report on stderr for commands that stream many frames (or fits):
//   "  37/120 frames  31%  12.3 frames/s  7 s left"
// redrawn in place (carriage return) at most ten times a second. It is shown only when asked
// for: progress_wanted() says yes when stderr is a terminal or --progress was given, and no
// with --quiet, so that scripts and tests see clean streams.
#include <chrono>
#include <cstddef>
#include <string>

namespace vulkanite::apps {

// `forced`: --progress; `quiet`: --quiet, which wins.
bool progress_wanted(bool forced, bool quiet);

class Progress {
 public:
  // `total`: items expected, counted in `unit` ("frames", "fits"); `enabled` false makes every
  // call a no-op.
  Progress(std::size_t total, bool enabled, std::string unit = "frames");
  // Ends the line if something was drawn, so that an error message that follows (an exception
  // leaving the command) starts on a line of its own.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Starts the clock again: set-up between construction and the first item stays out of the
  // rate and of finish()'s seconds.
  void restart();
  void update(std::size_t done);
  // Draws the final state and ends the line; returns the seconds since construction.
  double finish();
  double seconds() const;

 private:
  void draw(std::size_t done);

  std::size_t total_;
  bool enabled_;
  std::string unit_;
  bool drawn_ = false;
  bool finished_ = false;
  std::size_t done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace vulkanite::apps
