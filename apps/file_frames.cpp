#include "apps/file_frames.hpp"

#include <algorithm>

namespace vulkanite::apps {

FileFrames::FileFrames(const std::vector<std::string>& files, const FrameRange& range) {
  for (const auto& file : files) {
    const std::size_t count = io::open_frames(file)->frame_count();
    const std::size_t begin = std::min(count, range.begin);
    const std::size_t end = std::max(begin, std::min(count, range.end.value_or(count)));
    inputs_.push_back({file, count, begin, end});
    total_ += end - begin;
  }
  if (!inputs_.empty()) frame_ = inputs_[0].begin;
}

bool FileFrames::next(io::Frame& frame) {
  while (input_ < inputs_.size() && frame_ >= inputs_[input_].end) {
    source_.reset();
    if (input_ + 1 >= inputs_.size()) return false;  // stays on the last input: path() valid
    frame_ = inputs_[++input_].begin;
  }
  if (input_ >= inputs_.size()) return false;
  if (!source_) source_ = io::open_frames(inputs_[input_].path);
  frame = source_->read(frame_);
  ++frame_;
  return true;
}

std::string FileFrames::label() const {
  const auto& in = inputs_[input_];
  return in.frames_in_file == 1 ? in.path : in.path + " frame " + std::to_string(index());
}

}  // namespace vulkanite::apps
