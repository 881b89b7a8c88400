#pragma once
// GPU times per kernel name, gathered from timestamp queries: count, min, median, max.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vulkanite::runtime {

struct KernelTimes {
  std::string name;
  std::size_t count = 0;
  double min_ns = 0, median_ns = 0, max_ns = 0, total_ns = 0;
};

class Profile {
 public:
  void add(std::string_view name, double nanoseconds);
  void merge(const Profile& other);  // adds every sample of `other`
  void clear() { samples_.clear(); }
  bool empty() const noexcept { return samples_.empty(); }
  std::vector<KernelTimes> summary() const;  // sorted by name
  KernelTimes of(std::string_view name) const;
  std::string table() const;                  // aligned text, one line per kernel

 private:
  std::map<std::string, std::vector<double>, std::less<>> samples_;
};

}  // namespace vulkanite::runtime
