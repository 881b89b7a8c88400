#include "apps/file_frames.hpp"

#include <algorithm>

namespace vulkanite::apps {

std::size_t default_read_threads() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
}

FileFrames::FileFrames(const std::vector<std::string>& files, const FrameRange& range, std::size_t read_threads) {
  bool hdf5 = false;
  for (const auto& file : files) {
    const auto format = io::detect_format(file);
    hdf5 = hdf5 || format == io::Format::hdf5;
    const std::size_t count = io::frame_count(file, format);
    const std::size_t begin = std::min(count, range.begin);
    const std::size_t end = std::max(begin, std::min(count, range.end.value_or(count)));
    inputs_.push_back({file, count});
    for (std::size_t frame = begin; frame < end; ++frame) jobs_.push_back({inputs_.size() - 1, frame});
  }
  if (hdf5) read_threads = 0;
  read_threads = std::min(read_threads, jobs_.size() > 1 ? jobs_.size() : 0);
  if (read_threads == 0) return;
  // Frames held at once: one per thread being read, two more ready for the caller.
  ready_.resize(read_threads + 2);
  for (std::size_t t = 0; t < read_threads; ++t) workers_.emplace_back([this] { work(); });
}

FileFrames::~FileFrames() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
}

io::Frame FileFrames::Reader::read(const std::vector<Input>& inputs, const Job& job, std::vector<std::byte> storage) {
  if (!source || input != job.input) {
    source.reset();
    source = io::open_frames(inputs[job.input].path);
    input = job.input;
  }
  return source->read_reusing(job.frame, std::move(storage));
}

void FileFrames::work() {
  Reader reader;
  for (;;) {
    std::size_t job = 0;
    std::vector<std::byte> storage;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || taken_ >= jobs_.size() || taken_ < consumed_ + ready_.size(); });
      if (stopping_ || taken_ >= jobs_.size()) return;
      job = taken_++;
      if (!spare_.empty()) {
        storage = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    io::Frame frame;
    std::exception_ptr error;
    std::shared_ptr<const Transform> transform;
    try {
      frame = reader.read(inputs_, jobs_[job], std::move(storage));
      {
        const std::lock_guard lock(mutex_);
        transform = transform_;
      }
      if (transform) (*transform)(frame);
    } catch (...) {
      error = std::current_exception();
    }
    {
      const std::lock_guard lock(mutex_);
      // Free: job - size was handed out before this job could be taken.
      auto& slot = ready_[job % ready_.size()];
      slot = {job, true, transform != nullptr, std::move(frame), error};
    }
    changed_.notify_all();
  }
}

void FileFrames::set_transform(Transform transform) {
  const std::lock_guard lock(mutex_);
  transform_ = transform ? std::make_shared<const Transform>(std::move(transform)) : nullptr;
}

bool FileFrames::next(io::Frame& frame) {
  if (consumed_ >= jobs_.size()) return false;
  if (workers_.empty()) {
    const Job& job = jobs_[consumed_++];
    frame = own_.read(inputs_, job, std::move(frame.data));
    if (transform_) (*transform_)(frame);
    return true;
  }
  std::exception_ptr error;
  bool transformed = false;
  {
    std::unique_lock lock(mutex_);
    auto& slot = ready_[consumed_ % ready_.size()];
    changed_.wait(lock, [&] { return slot.done && slot.job == consumed_; });
    // At most one spare per slot: frames the caller kept elsewhere never come back.
    if (frame.data.capacity() != 0 && spare_.size() < ready_.size()) spare_.push_back(std::move(frame.data));
    frame = std::move(slot.frame);
    error = slot.error;
    transformed = slot.transformed;
    slot = {};
    ++consumed_;
  }
  changed_.notify_all();
  if (error) std::rethrow_exception(error);
  // Read before set_transform: transformed here. transform_ is only set by this thread.
  if (!transformed && transform_) (*transform_)(frame);
  return true;
}

const FileFrames::Job* FileFrames::last_job() const {
  return jobs_.empty() ? nullptr : &jobs_[consumed_ == 0 ? 0 : consumed_ - 1];
}

const std::string& FileFrames::path() const {
  static const std::string none;
  if (const Job* job = last_job()) return inputs_[job->input].path;
  return inputs_.empty() ? none : inputs_.back().path;
}

std::size_t FileFrames::index() const { return consumed_ == 0 ? 0 : last_job()->frame; }

std::string FileFrames::label() const {
  const Job* job = last_job();
  if (!job) return path();
  const auto& in = inputs_[job->input];
  return in.frames_in_file == 1 ? in.path : in.path + " frame " + std::to_string(job->frame);
}

}  // namespace vulkanite::apps
