#pragma once
// The frames of a command's input files, in order: frames A:B of each file (info's --frames
// range). Shared by integrate/sigma-clip and find-peaks.
//
// Decoding, not the GPU, limits a run on compressed files (a Pilatus 6M CBF takes about 30 ms
// to read on one core, the GPU's work on it well under 1 ms), so frames are read ahead on
// several threads, each with its own handle on the file, and handed out in order.
//
// Why separate handles may be used at once: libcbf documents nothing about threads, but its read
// path keeps no writable global state (Debian's libcbf 0.9.7, `nm libcbf.a`: the only writable
// statics are the nibble-offset compressor's, fgetln's buffer and cbf_set_diffrn_id's iterator,
// none of them reached when reading); io/tiff.cpp opens TIFFs with per-handle error handlers
// (TIFFOpenExt); .npy is our own reader. Tested: CbfSmall.ReadsOnSeveralThreadsAtOnce.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/info_command.hpp"  // FrameRange
#include "io/frame_source.hpp"

namespace vulkanite::apps {

// Reading threads when none are asked for: the machine's cores, at most 16 (each holds a frame;
// on the 16-core H100 machine, find-peaks on CBF frames ran at 200-210 frames/s with 8, 250-260
// with 16: docs/benchmarks.md, "Reading frames").
std::size_t default_read_threads();

class FileFrames {
 public:
  // Counts the frames of every file (a CBF holds one, so it is not opened here; other formats
  // are opened, and FormatError names one that cannot be read). `read_threads` 0: read on the
  // caller's thread. HDF5 inputs are always read on the caller's thread, since the serial
  // libhdf5 of Debian may not be entered by two threads at once (and the commands write HDF5).
  FileFrames(const std::vector<std::string>& files, const FrameRange& range,
             std::size_t read_threads = default_read_threads());
  ~FileFrames();
  FileFrames(const FileFrames&) = delete;
  FileFrames& operator=(const FileFrames&) = delete;

  std::size_t total() const { return jobs_.size(); }
  std::size_t read_threads() const { return workers_.size(); }

  // Applied to every frame next() returns from now on, on the reading threads where the frame is
  // read after this call (so per-frame work such as find-peaks' valid range leaves the caller's
  // thread), else by next(). Thread-safe if `transform` is.
  using Transform = std::function<void(io::Frame&)>;
  void set_transform(Transform transform);

  // Reads the next frame into `frame`; false after the last. The pixel buffer `frame` held is
  // reused for a later frame (no allocation, zero-filling and freeing of 25 MB per Pilatus 6M
  // frame), so nothing may still point into it. path() and index() then say where
  // it came from. A frame that cannot be read throws here, in its turn (FormatError).
  bool next(io::Frame& frame);
  const std::string& path() const;
  std::size_t index() const;
  // "file" for a one-frame file, else "file frame N": for messages and outputs.
  std::string label() const;

 private:
  struct Input {
    std::string path;
    std::size_t frames_in_file = 0;
  };
  struct Job {
    std::size_t input = 0, frame = 0;
  };
  // A frame read ahead (or the error reading it) for job `job`, waiting for next().
  struct Ready {
    std::size_t job = 0;
    bool done = false, transformed = false;
    io::Frame frame;
    std::exception_ptr error;
  };
  // One thread's (or the caller's) open file: kept while its jobs stay in that file.
  struct Reader {
    std::size_t input = 0;
    std::unique_ptr<io::FrameSource> source;
    io::Frame read(const std::vector<Input>& inputs, const Job& job, std::vector<std::byte> storage);
  };

  void work();
  // The job next() handed out last (the first before any), or null without jobs.
  const Job* last_job() const;

  std::vector<Input> inputs_;
  std::vector<Job> jobs_;
  std::size_t consumed_ = 0;  // jobs handed out by next()
  Reader own_;                // the caller's, without threads

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Ready> ready_;  // ring of read-ahead slots: job j in ready_[j % size]
  std::shared_ptr<const Transform> transform_;
  std::vector<std::vector<std::byte>> spare_;  // pixel buffers handed back by next(), for the readers
  std::size_t taken_ = 0;     // jobs taken by the threads
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace vulkanite::apps
