#include "runtime/commands.hpp"

#include "runtime/error.hpp"

#include <volk.h>

#include <cstdlib>
#include <string>

namespace vulkanite::runtime {
namespace {

std::uint64_t wait_timeout_ns() {
  double seconds = 600;
  if (const char* env = std::getenv("VULKANITE_TIMEOUT_S"); env && *env) seconds = std::atof(env);
  return static_cast<std::uint64_t>(seconds * 1e9);
}

}  // namespace

void full_barrier(VkCommandBuffer buffer) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                          VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                          VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(buffer, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                           VK_PIPELINE_STAGE_HOST_BIT,
                       0, 1, &barrier, 0, nullptr, 0, nullptr);
}

Unique<VkSemaphore> make_semaphore(Context& context) {
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
  VkSemaphore semaphore = VK_NULL_HANDLE;
  check(vkCreateSemaphore(context.device(), &info, nullptr, &semaphore), "vkCreateSemaphore");
  return Unique<VkSemaphore>(context.device(), semaphore);
}

Commands::Commands(Context& context, Queue queue) : context_(&context), queue_(queue) {
  const VkDevice device = context.device();
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool_info.queueFamilyIndex = queue == Queue::compute ? context.queue_family() : context.transfer_family();
  VkCommandPool pool = VK_NULL_HANDLE;
  check(vkCreateCommandPool(device, &pool_info, nullptr, &pool), "vkCreateCommandPool");
  pool_ = Unique<VkCommandPool>(device, pool);

  VkCommandBufferAllocateInfo allocate{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  allocate.commandPool = pool;
  allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  allocate.commandBufferCount = 1;
  check(vkAllocateCommandBuffers(device, &allocate, &buffer_), "vkAllocateCommandBuffers");

  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence = VK_NULL_HANDLE;
  check(vkCreateFence(device, &fence_info, nullptr, &fence), "vkCreateFence");
  fence_ = Unique<VkFence>(device, fence);
}

Commands::~Commands() {
  if (in_flight_) {
    const VkFence fence = fence_.get();
    vkWaitForFences(context_->device(), 1, &fence, VK_TRUE, wait_timeout_ns());
  }
}

void Commands::begin() {
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check(vkBeginCommandBuffer(buffer_, &info), "vkBeginCommandBuffer");
  // Uploads need none: their sources are written by the host before the submission (which makes
  // host writes visible), and a destination is rewritten only after the host waited for the
  // kernels that read it. A transfer-only queue would refuse the compute stages anyway.
  if (queue_ == Queue::compute) full_barrier(buffer_);
}

void Commands::submit(VkSemaphore wait, VkSemaphore signal) {
  check(vkEndCommandBuffer(buffer_), "vkEndCommandBuffer");
  const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.waitSemaphoreCount = wait != VK_NULL_HANDLE ? 1 : 0;
  submit.pWaitSemaphores = &wait;
  submit.pWaitDstStageMask = &wait_stage;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &buffer_;
  submit.signalSemaphoreCount = signal != VK_NULL_HANDLE ? 1 : 0;
  submit.pSignalSemaphores = &signal;
  const VkQueue queue = queue_ == Queue::compute ? context_->queue() : context_->transfer_queue();
  check(vkQueueSubmit(queue, 1, &submit, fence_.get()), "vkQueueSubmit");
  in_flight_ = true;
}

void Commands::wait() {
  const VkFence fence = fence_.get();
  const VkResult result = vkWaitForFences(context_->device(), 1, &fence, VK_TRUE, wait_timeout_ns());
  if (result == VK_TIMEOUT)
    throw VulkanError("vkWaitForFences (the GPU did not finish within VULKANITE_TIMEOUT_S)", result);
  check(result, "vkWaitForFences");
  in_flight_ = false;
  check(vkResetFences(context_->device(), 1, &fence), "vkResetFences");
  check(vkResetCommandPool(context_->device(), pool_.get(), 0), "vkResetCommandPool");
  context_->throw_on_validation_messages();
}

}  // namespace vulkanite::runtime
