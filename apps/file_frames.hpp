#pragma once
// The frames of a command's input files, in order: frames A:B of each file (info's --frames
// range), one file open at a time. Shared by integrate/sigma-clip and find-peaks.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "apps/info_command.hpp"  // FrameRange
#include "io/frame_source.hpp"

namespace vulkanite::apps {

class FileFrames {
 public:
  // Opens every file once to count its frames (FormatError for one that cannot be read).
  FileFrames(const std::vector<std::string>& files, const FrameRange& range);

  std::size_t total() const { return total_; }

  // Reads the next frame into `frame`; false after the last. path() and index() then say where
  // it came from.
  bool next(io::Frame& frame);
  const std::string& path() const { return inputs_[input_].path; }
  std::size_t index() const { return frame_ - 1; }
  // "file" for a one-frame file, else "file frame N": for messages and outputs.
  std::string label() const;

 private:
  struct Input {
    std::string path;
    std::size_t frames_in_file = 0, begin = 0, end = 0;
  };
  std::vector<Input> inputs_;
  std::size_t total_ = 0, input_ = 0, frame_ = 0;
  std::unique_ptr<io::FrameSource> source_;
};

}  // namespace vulkanite::apps
