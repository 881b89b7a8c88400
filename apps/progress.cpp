#include "apps/progress.hpp"

#include <utility>

#include <unistd.h>

#include <cstdio>

namespace vulkanite::apps {

bool progress_wanted(bool forced, bool quiet) {
  if (quiet) return false;
  return forced || isatty(fileno(stderr)) == 1;
}

Progress::Progress(std::size_t total, bool enabled, std::string unit)
    : total_(total),
      enabled_(enabled),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (drawn_ && !finished_) std::fputc('\n', stderr);
}

void Progress::restart() { start_ = last_draw_ = std::chrono::steady_clock::now(); }

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(std::size_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  // A terminal redrawn a thousand times a second costs more than the frames it reports.
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done);
}

double Progress::finish() {
  const double elapsed = seconds();
  if (enabled_ && !finished_) {
    draw(done_);
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  finished_ = true;
  return elapsed;
}

void Progress::draw(std::size_t done) {
  const double elapsed = seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double percent = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  char left[32] = "";
  if (done > 0 && done < total_ && rate > 0)
    std::snprintf(left, sizeof left, "  %.0f s left", static_cast<double>(total_ - done) / rate);
  // Trailing spaces wipe what a longer previous line left behind.
  std::fprintf(stderr, "\r  %zu/%zu %s  %3.0f%%  %.1f %s/s%s    ", done, total_, unit_.c_str(), percent, rate,
               unit_.c_str(), left);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace vulkanite::apps
