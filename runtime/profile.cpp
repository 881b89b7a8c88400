#include "runtime/profile.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace vulkanite::runtime {
namespace {

KernelTimes summarize(const std::string& name, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  KernelTimes t{name, samples.size()};
  t.min_ns = samples.front();
  t.max_ns = samples.back();
  const std::size_t n = samples.size();
  t.median_ns = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  for (double s : samples) t.total_ns += s;
  return t;
}

}  // namespace

void Profile::add(std::string_view name, double nanoseconds) {
  auto it = samples_.find(name);
  if (it == samples_.end()) it = samples_.emplace(std::string(name), std::vector<double>{}).first;
  it->second.push_back(nanoseconds);
}

void Profile::merge(const Profile& other) {
  for (const auto& [name, times] : other.samples_)
    for (const double t : times) add(name, t);
}

std::vector<KernelTimes> Profile::summary() const {
  std::vector<KernelTimes> result;
  for (const auto& [name, samples] : samples_) result.push_back(summarize(name, samples));
  return result;
}

KernelTimes Profile::of(std::string_view name) const {
  const auto it = samples_.find(name);
  if (it == samples_.end()) throw std::out_of_range("no GPU times recorded for kernel " + std::string(name));
  return summarize(it->first, it->second);
}

std::string Profile::table() const {
  std::string text = "kernel                      count    min_us  median_us    max_us\n";
  char line[160];
  for (const auto& t : summary()) {
    std::snprintf(line, sizeof line, "%-26s %6zu %9.2f %10.2f %9.2f\n", t.name.c_str(), t.count,
                  t.min_ns / 1e3, t.median_ns / 1e3, t.max_ns / 1e3);
    text += line;
  }
  return text;
}

}  // namespace vulkanite::runtime
