#include "runtime/sequence.hpp"

#include "runtime/error.hpp"

#include <volk.h>

namespace vulkanite::runtime {
namespace {

constexpr std::uint32_t kSetsPerPool = 64;
constexpr std::uint32_t kBuffersPerPool = 64 * 16;

}  // namespace

Sequence::Sequence(Context& context, std::uint32_t max_timed_dispatches)
    : context_(&context), upload_(context, Queue::transfer), commands_(context) {
  if (context.queue_has_timestamps() && max_timed_dispatches > 0) {
    VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    info.queryCount = 2 * max_timed_dispatches;
    VkQueryPool pool = VK_NULL_HANDLE;
    check(vkCreateQueryPool(context.device(), &info, nullptr, &pool), "vkCreateQueryPool");
    queries_ = Unique<VkQueryPool>(context.device(), pool);
    query_capacity_ = info.queryCount;
  }
  begin();
}

void Sequence::begin() {
  commands_.begin();
  timed_names_.clear();
  if (queries_) vkCmdResetQueryPool(commands_.buffer(), queries_.get(), 0, query_capacity_);
}

VkDescriptorSet Sequence::allocate_set(VkDescriptorSetLayout layout) {
  const VkDevice device = context_->device();
  for (;; ++current_pool_) {
    if (current_pool_ == pools_.size()) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBuffersPerPool};
      VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      check(vkCreateDescriptorPool(device, &info, nullptr, &pool), "vkCreateDescriptorPool");
      pools_.emplace_back(device, pool);
    }
    VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    info.descriptorPool = pools_[current_pool_].get();
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    const VkResult result = vkAllocateDescriptorSets(device, &info, &set);
    if (result == VK_SUCCESS) return set;
    // A full pool: go on to the next one (or a new one).
    if (result != VK_ERROR_OUT_OF_POOL_MEMORY && result != VK_ERROR_FRAGMENTED_POOL)
      check(result, "vkAllocateDescriptorSets");
  }
}

void Sequence::record_dispatch(const Kernel& kernel, Bindings buffers, std::span<const std::byte> push,
                               Groups groups) {
  if (buffers.size() != kernel.bindings())
    throw std::invalid_argument("kernel " + kernel.name() + " takes " + std::to_string(kernel.bindings()) +
                                " buffers, " + std::to_string(buffers.size()) + " were given");
  if (push.size() != kernel.push_constant_bytes())
    throw std::invalid_argument("kernel " + kernel.name() + " takes " +
                                std::to_string(kernel.push_constant_bytes()) + " bytes of push constants, " +
                                std::to_string(push.size()) + " were given");
  const auto& limits = context_->limits();
  if (groups.x > limits.maxComputeWorkGroupCount[0] || groups.y > limits.maxComputeWorkGroupCount[1] ||
      groups.z > limits.maxComputeWorkGroupCount[2])
    throw std::invalid_argument("kernel " + kernel.name() + ": " + std::to_string(groups.x) + " x " +
                                std::to_string(groups.y) + " x " + std::to_string(groups.z) +
                                " workgroups exceed the device's limit of " +
                                std::to_string(limits.maxComputeWorkGroupCount[0]) + " x " +
                                std::to_string(limits.maxComputeWorkGroupCount[1]) + " x " +
                                std::to_string(limits.maxComputeWorkGroupCount[2]));
  if (groups.x == 0 || groups.y == 0 || groups.z == 0) return;  // nothing to do, nothing to time

  const VkDescriptorSet set = allocate_set(kernel.set_layout());
  std::vector<VkDescriptorBufferInfo> infos;
  infos.reserve(buffers.size());
  for (const Buffer& b : buffers) infos.push_back({b.handle(), 0, VK_WHOLE_SIZE});
  std::vector<VkWriteDescriptorSet> writes(infos.size());
  for (std::uint32_t i = 0; i < infos.size(); ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(context_->device(), static_cast<std::uint32_t>(writes.size()), writes.data(), 0, nullptr);

  const VkCommandBuffer cb = commands_.buffer();
  vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline());
  vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.layout(), 0, 1, &set, 0, nullptr);
  if (!push.empty())
    vkCmdPushConstants(cb, kernel.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       static_cast<std::uint32_t>(push.size()), push.data());
  const auto slot = static_cast<std::uint32_t>(2 * timed_names_.size());
  const bool timed = slot + 2 <= query_capacity_;
  if (timed) vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries_.get(), slot);
  vkCmdDispatch(cb, groups.x, groups.y, groups.z);
  if (timed) {
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_.get(), slot + 1);
    timed_names_.push_back(&kernel.name());
  }
}

void Sequence::barrier() { full_barrier(commands_.buffer()); }

void Sequence::copy(const Buffer& source, const Buffer& destination, VkDeviceSize bytes,
                    VkDeviceSize source_offset, VkDeviceSize destination_offset) {
  if (!range_fits(source_offset, bytes, source.bytes()) || !range_fits(destination_offset, bytes, destination.bytes()))
    throw std::out_of_range("Sequence::copy of " + std::to_string(bytes) + " bytes runs past a buffer's end");
  VkBufferCopy region{source_offset, destination_offset, bytes};
  vkCmdCopyBuffer(commands_.buffer(), source.handle(), destination.handle(), 1, &region);
}

void Sequence::upload(const Buffer& source, const Buffer& destination, VkDeviceSize bytes,
                      VkDeviceSize source_offset) {
  if (!range_fits(source_offset, bytes, source.bytes()) || bytes > destination.bytes())
    throw std::out_of_range("Sequence::upload of " + std::to_string(bytes) + " bytes runs past a buffer's end");
  if (!upload_recorded_) upload_.begin();
  upload_recorded_ = true;
  VkBufferCopy region{source_offset, 0, bytes};
  vkCmdCopyBuffer(upload_.buffer(), source.handle(), destination.handle(), 1, &region);
}

void Sequence::fill(const Buffer& buffer, std::uint32_t word, VkDeviceSize bytes) {
  if (bytes != VK_WHOLE_SIZE && (bytes % 4 != 0 || bytes > buffer.bytes()))
    throw std::invalid_argument("Sequence::fill of " + std::to_string(bytes) + " bytes: must be a multiple of 4 and at most " +
                                std::to_string(buffer.bytes()));
  vkCmdFillBuffer(commands_.buffer(), buffer.handle(), 0, bytes, word);
}

void Sequence::submit() {
  if (!upload_recorded_) {
    commands_.submit();
    return;
  }
  if (!uploaded_) uploaded_ = make_semaphore(*context_);
  upload_.submit(VK_NULL_HANDLE, uploaded_.get());
  upload_recorded_ = false;
  upload_submitted_ = true;
  commands_.submit(uploaded_.get());
}

void Sequence::wait() {
  commands_.wait();
  if (upload_submitted_) upload_.wait();  // done already: the commands waited for it
  upload_submitted_ = false;
  if (!timed_names_.empty()) {
    std::vector<std::uint64_t> ticks(2 * timed_names_.size());
    check(vkGetQueryPoolResults(context_->device(), queries_.get(), 0, static_cast<std::uint32_t>(ticks.size()),
                                ticks.size() * sizeof(std::uint64_t), ticks.data(), sizeof(std::uint64_t),
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "vkGetQueryPoolResults");
    const double period = context_->info().timestamp_period_ns;
    const std::uint64_t mask = context_->timestamp_mask();
    for (std::size_t i = 0; i < timed_names_.size(); ++i)
      profile_.add(*timed_names_[i], static_cast<double>((ticks[2 * i + 1] - ticks[2 * i]) & mask) * period);
  }
  for (auto& pool : pools_) check(vkResetDescriptorPool(context_->device(), pool.get(), 0), "vkResetDescriptorPool");
  current_pool_ = 0;
  begin();
}

}  // namespace vulkanite::runtime
