#pragma once
// Records dispatches, barriers and copies into one submission, runs it, and gathers per-dispatch
// GPU timestamps into a Profile under each kernel's name. One Sequence is one frame in flight:
// keep several to overlap uploads with compute.
#include "runtime/buffer.hpp"
#include "runtime/commands.hpp"
#include "runtime/kernel.hpp"
#include "runtime/profile.hpp"

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <type_traits>
#include <vector>

namespace vulkanite::runtime {

struct Groups {
  std::uint32_t x = 1, y = 1, z = 1;
};

using Bindings = std::initializer_list<std::reference_wrapper<const Buffer>>;

class Sequence {
 public:
  // `max_timed_dispatches`: timestamp slots per submission; dispatches past it run untimed.
  explicit Sequence(Context& context, std::uint32_t max_timed_dispatches = 1024);

  template <class Push>
  void dispatch(const Kernel& kernel, Bindings buffers, const Push& push, Groups groups) {
    static_assert(std::is_trivially_copyable_v<Push>, "push constants are copied as bytes");
    record_dispatch(kernel, buffers, std::as_bytes(std::span(&push, 1)), groups);
  }
  void dispatch(const Kernel& kernel, Bindings buffers, Groups groups) {
    record_dispatch(kernel, buffers, {}, groups);
  }
  // Makes every write recorded so far visible to every command recorded after.
  void barrier();
  void copy(const Buffer& source, const Buffer& destination, VkDeviceSize bytes,
            VkDeviceSize source_offset = 0, VkDeviceSize destination_offset = 0);
  // A copy of `bytes` from `source` at `source_offset` (host memory the host has filled: staging
  // or imported) to the start of `destination`, on the context's transfer queue: submit() submits
  // it first and the commands recorded here wait for it. So the upload of one Sequence (a frame
  // in flight) runs on the copy engine while another Sequence's kernels run, where one queue
  // would run them in turn. The host may rewrite `source`, and kernels `destination`, only after
  // wait().
  void upload(const Buffer& source, const Buffer& destination, VkDeviceSize bytes, VkDeviceSize source_offset = 0);
  // Fills `bytes` of `buffer` (whole buffer by default) with a repeated 32-bit word.
  void fill(const Buffer& buffer, std::uint32_t word, VkDeviceSize bytes = VK_WHOLE_SIZE);

  void submit();
  void wait();  // then the Sequence records anew
  void run() {
    submit();
    wait();
  }
  bool in_flight() const noexcept { return commands_.in_flight(); }

  Profile& profile() noexcept { return profile_; }
  const Profile& profile() const noexcept { return profile_; }

 private:
  void record_dispatch(const Kernel& kernel, Bindings buffers, std::span<const std::byte> push, Groups groups);
  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout);
  void begin();

  Context* context_;
  std::vector<Unique<VkDescriptorPool>> pools_;
  std::size_t current_pool_ = 0;
  Unique<VkQueryPool> queries_;
  std::uint32_t query_capacity_ = 0;
  std::vector<const std::string*> timed_names_;  // kernel name of each timed dispatch
  Profile profile_;
  Unique<VkSemaphore> uploaded_;  // signalled by upload_, waited for by commands_
  bool upload_recorded_ = false, upload_submitted_ = false;
  // Last, so destroyed first: their destructors wait for a submission still in flight, which
  // uses the pools and the semaphore above.
  Commands upload_;
  Commands commands_;
};

}  // namespace vulkanite::runtime
