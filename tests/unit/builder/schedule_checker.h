// Independent checks of an instruction stream's schedule, derived from the instruction fields and
// docs/isa.md only (not from the builder's bookkeeping):
//   - every buffer access of every instruction, and whether it stays inside one buffer half;
//   - token balance along program order (every POP finds a token pushed earlier in program order,
//     none is left at the end);
//   - races: two instructions of different queues touching the same buffer or DDR bytes, one of
//     them writing, must be ordered by the happens-before relation the tokens and the in-order
//     queues create, in program order (then any execution gives the in-order result);
//   - deadlock freedom when the IFU dispatches in order into queues of a given depth.
#pragma once
#include "ip/ifu/isa.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace dlvp::builder::check {

constexpr int kDdrSpace = isa::kBufCount;  // spaces 0..2: buffers; kDdrSpace + arg: DDR windows

struct Range {
  int space = 0;
  uint64_t begin = 0, end = 0;  // [begin, end)
  bool write = false;
};

inline uint32_t sweep(uint32_t in, uint32_t pad_a, uint32_t pad_b, uint32_t window, uint32_t stride) {
  const uint64_t padded = uint64_t{in} + pad_a + pad_b;
  return padded < window || stride == 0 ? 0 : static_cast<uint32_t>((padded - window) / stride + 1);
}

// Buffer accesses (one range each) and DDR accesses (one range per transferred row).
inline std::vector<Range> accesses(const isa::Instruction& in) {
  std::vector<Range> r;
  auto buf = [&](int b, uint64_t off, uint64_t bytes, bool write) { r.push_back({b, off, off + bytes, write}); };
  const uint16_t flags = in.header.flags;
  switch (in.header.opcode) {
    case isa::kOpLoad:
    case isa::kOpStore: {
      const isa::Transfer& t = in.transfer;
      const bool load = in.header.opcode == isa::kOpLoad;
      const uint64_t extent = uint64_t{t.planes - 1} * t.buffer_plane_stride + uint64_t{t.rows - 1} * t.buffer_row_stride +
                              t.row_bytes;
      buf(t.buffer, t.buffer_offset, extent, load);
      for (uint64_t p = 0; p < t.planes; ++p)
        for (uint64_t row = 0; row < t.rows; ++row) {
          const uint64_t a = t.ddr_offset + p * t.ddr_plane_stride + row * t.ddr_row_stride;
          r.push_back({kDdrSpace + t.arg, a, a + t.row_bytes, !load});
        }
      break;
    }
    case isa::kOpConv: {
      const isa::Conv& c = in.conv;
      const uint32_t oh = sweep(c.in_h, c.pad_top, c.pad_bottom, c.kernel_h, c.stride_h);
      const uint32_t ow = sweep(c.in_w, c.pad_left, c.pad_right, c.kernel_w, c.stride_w);
      const bool pool = flags & isa::kFlagPool;
      const uint32_t ph = pool ? sweep(oh, 0, 0, c.pool_size, c.pool_stride) : oh;
      const uint32_t pw = pool ? sweep(ow, 0, 0, c.pool_size, c.pool_stride) : ow;
      buf(isa::kBufInput, c.input_offset, uint64_t{c.in_c} * c.in_h * c.in_w, false);
      buf(isa::kBufWeight, c.weight_offset, uint64_t{c.out_c} * isa::conv_group_in_c(c) * c.kernel_h * c.kernel_w, false);
      const uint64_t psum = 4ull * c.out_c * oh * ow;
      if (flags & isa::kFlagAccFirst)
        buf(isa::kBufWeight, c.bias_offset, 4ull * c.out_c, false);
      else
        buf(isa::kBufOutput, c.psum_offset, psum, false);
      if (flags & isa::kFlagAccLast)
        buf(isa::kBufOutput, c.output_offset, uint64_t{c.out_c} * ph * pw, true);
      else
        buf(isa::kBufOutput, c.psum_offset, psum, true);
      break;
    }
    case isa::kOpFc: {
      const isa::Fc& f = in.fc;
      buf(isa::kBufInput, f.input_offset, f.n_in, false);
      buf(isa::kBufWeight, f.weight_offset, uint64_t{f.n_in} * f.n_out, false);
      if (flags & isa::kFlagAccFirst)
        buf(isa::kBufWeight, f.bias_offset, 4ull * f.n_out, false);
      else
        buf(isa::kBufOutput, f.psum_offset, 4ull * f.n_out, false);
      if (flags & isa::kFlagAccLast)
        buf(isa::kBufOutput, f.output_offset, f.n_out, true);
      else
        buf(isa::kBufOutput, f.psum_offset, 4ull * f.n_out, true);
      break;
    }
    case isa::kOpPool: {
      const isa::Pool& p = in.pool;
      const uint32_t oh = sweep(p.in_h, p.pad_top, p.pad_bottom, p.size, p.stride);
      const uint32_t ow = sweep(p.in_w, p.pad_left, p.pad_right, p.size, p.stride);
      buf(p.source, p.input_offset, uint64_t{p.c} * p.in_h * p.in_w, false);
      buf(isa::kBufOutput, p.output_offset, uint64_t{p.c} * oh * ow, true);
      break;
    }
    case isa::kOpEltwise: {
      const isa::Eltwise& e = in.eltwise;
      buf(isa::kBufInput, e.a_offset, e.count, false);
      buf(isa::kBufInput, e.b_offset, e.count, false);
      buf(isa::kBufOutput, e.output_offset, e.count, true);
      break;
    }
    default: break;
  }
  return r;
}

// The first buffer access of the program that does not lie inside one half of its buffer (or
// inside the buffer when `halves` is false); empty string when all do.
inline std::string half_violation(const std::vector<isa::Instruction>& program,
                                  const std::array<uint64_t, isa::kBufCount>& sizes, bool halves) {
  for (size_t i = 0; i < program.size(); ++i)
    for (const Range& a : accesses(program[i])) {
      if (a.space >= kDdrSpace) continue;
      const uint64_t size = sizes[a.space], mid = size / 2;
      const bool inside = halves ? (a.end <= mid || (a.begin >= mid && a.end <= size)) : a.end <= size;
      if (!inside || a.end <= a.begin)
        return "instruction " + std::to_string(i) + " accesses buffer " + std::to_string(a.space) + " [" +
               std::to_string(a.begin) + ", " + std::to_string(a.end) + ") across a half of " + std::to_string(size) +
               " B";
    }
  return {};
}

// Token channels [from queue][to queue], counted along program order.
struct TokenReport {
  std::string error;                  // first POP without an earlier PUSH, or tokens left at the end
  std::array<std::array<uint64_t, 3>, 3> pushes{};
};

inline TokenReport token_balance(const std::vector<isa::Instruction>& program) {
  TokenReport rep;
  int64_t tokens[3][3] = {};
  for (size_t i = 0; i < program.size(); ++i) {
    const isa::Header& h = program[i].header;
    const int q = isa::queue_of(h.opcode);
    if (q == isa::kQueueNone) continue;
    auto pop = [&](int from) {
      if (from < 0 || from > 2) {
        rep.error = "instruction " + std::to_string(i) + " pops from a queue that does not exist";
      } else if (tokens[from][q]-- == 0 && rep.error.empty()) {
        rep.error = "instruction " + std::to_string(i) + " pops a token no earlier instruction pushed";
      }
    };
    if (h.deps & isa::kPopPrev) pop(q - 1);
    if (h.deps & isa::kPopNext) pop(q + 1);
    if (h.deps & isa::kPushPrev) {
      if (q == 0) rep.error = "load pushes to a previous queue";
      else ++tokens[q][q - 1], ++rep.pushes[q][q - 1];
    }
    if (h.deps & isa::kPushNext) {
      if (q == 2) rep.error = "store pushes to a next queue";
      else ++tokens[q][q + 1], ++rep.pushes[q][q + 1];
    }
  }
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      if (tokens[a][b] != 0 && rep.error.empty())
        rep.error = std::to_string(tokens[a][b]) + " tokens from queue " + std::to_string(a) + " to " +
                    std::to_string(b) + " are never popped";
  return rep;
}

// Happens-before from the in-order queues and the tokens (FIFO-matched), as vector clocks.
class HappensBefore {
 public:
  explicit HappensBefore(const std::vector<isa::Instruction>& program) : queue_(program.size()), seq_(program.size()) {
    std::array<int64_t, 3> count{};
    std::array<std::array<int64_t, 3>, 3> last_done{};  // clock at the end of each queue's last instruction
    for (auto& c : last_done) c.fill(-1);
    std::deque<std::array<int64_t, 3>> fifo[3][3];  // clocks of pushes waiting to be popped
    start_.resize(program.size());
    for (size_t i = 0; i < program.size(); ++i) {
      const isa::Header& h = program[i].header;
      const int q = isa::queue_of(h.opcode);
      queue_[i] = q;
      if (q == isa::kQueueNone) continue;
      std::array<int64_t, 3> clock = last_done[q];
      auto join = [&](int from) {
        if (from < 0 || from > 2 || fifo[from][q].empty()) return;
        for (int k = 0; k < 3; ++k) clock[k] = std::max(clock[k], fifo[from][q].front()[k]);
        fifo[from][q].pop_front();
      };
      if (h.deps & isa::kPopPrev) join(q - 1);
      if (h.deps & isa::kPopNext) join(q + 1);
      start_[i] = clock;
      seq_[i] = count[q]++;
      clock[q] = seq_[i];
      last_done[q] = clock;
      if ((h.deps & isa::kPushPrev) && q > 0) fifo[q][q - 1].push_back(clock);
      if ((h.deps & isa::kPushNext) && q < 2) fifo[q][q + 1].push_back(clock);
    }
  }
  // Instruction a has finished before instruction b starts, in every execution.
  bool ordered(size_t a, size_t b) const {
    if (queue_[a] == isa::kQueueNone || queue_[b] == isa::kQueueNone) return true;
    return start_[b][queue_[a]] >= seq_[a] || (queue_[a] == queue_[b] && seq_[a] < seq_[b]);
  }
  int queue(size_t i) const { return queue_[i]; }

 private:
  std::vector<int> queue_;
  std::vector<int64_t> seq_;
  std::vector<std::array<int64_t, 3>> start_;
};

inline bool conflict(const std::vector<Range>& a, const std::vector<Range>& b) {
  for (const Range& x : a)
    for (const Range& y : b)
      if (x.space == y.space && (x.write || y.write) && x.begin < y.end && y.begin < x.end) return true;
  return false;
}

// The first pair of conflicting instructions that some execution could run out of program order.
inline std::string first_race(const std::vector<isa::Instruction>& program) {
  const HappensBefore hb(program);
  std::vector<std::vector<Range>> acc(program.size());
  for (size_t i = 0; i < program.size(); ++i) acc[i] = accesses(program[i]);
  for (size_t b = 0; b < program.size(); ++b)
    for (size_t a = 0; a < b; ++a) {
      if (hb.queue(a) == hb.queue(b) || hb.ordered(a, b)) continue;
      if (conflict(acc[a], acc[b]))
        return "instructions " + std::to_string(a) + " (opcode " + std::to_string(program[a].header.opcode) + ") and " +
               std::to_string(b) + " (opcode " + std::to_string(program[b].header.opcode) +
               ") touch the same bytes without a token chain between them";
    }
  return {};
}

// Pairs (a, b), a before b in program order, of different queues that may run at the same time.
inline bool may_overlap(const HappensBefore& hb, size_t a, size_t b) { return !hb.ordered(a, b) && !hb.ordered(b, a); }

// Runs the program with in-order dispatch into queues of `depth` entries and instantaneous
// execution whenever a queue head has its tokens; true if everything before END completes.
inline bool runs_to_end(const std::vector<isa::Instruction>& program, size_t depth) {
  size_t end = program.size();
  for (size_t i = 0; i < program.size(); ++i)
    if (program[i].header.opcode == isa::kOpEnd) {
      end = i;
      break;
    }
  std::deque<size_t> queues[3];
  int64_t tokens[3][3] = {};
  size_t next = 0, done = 0;
  for (bool progress = true; progress;) {
    progress = false;
    while (next < end && queues[isa::queue_of(program[next].header.opcode)].size() < depth) {
      queues[isa::queue_of(program[next].header.opcode)].push_back(next);
      ++next;
      progress = true;
    }
    for (int q = 0; q < 3; ++q) {
      if (queues[q].empty()) continue;
      const uint8_t deps = program[queues[q].front()].header.deps;
      const bool need_prev = deps & isa::kPopPrev, need_next = deps & isa::kPopNext;
      if ((need_prev && (q == 0 || tokens[q - 1][q] == 0)) || (need_next && (q == 2 || tokens[q + 1][q] == 0))) continue;
      if (need_prev) --tokens[q - 1][q];
      if (need_next) --tokens[q + 1][q];
      if ((deps & isa::kPushPrev) && q > 0) ++tokens[q][q - 1];
      if ((deps & isa::kPushNext) && q < 2) ++tokens[q][q + 1];
      queues[q].pop_front();
      ++done;
      progress = true;
    }
  }
  return done == end;
}

}  // namespace dlvp::builder::check
