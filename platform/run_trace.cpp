#include "platform/run_trace.h"

#include "ip/common/chrome_trace.h"
#include "ip/common/energy_tag.h"
#include "ip/ifu/instruction_checks.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

namespace dlvp {

namespace {

constexpr int kProcess = 1;
// Track ids after the IFU's (its queues and jobs).
constexpr int kCnnTrack = ifu::IfuTrace::kTrackCount;
constexpr int kLstmTrack = kCnnTrack + 1;
constexpr int kFirstDmaTrack = kLstmTrack + 1;
// Software's tracks, after any number of DMA channels.
constexpr int kRegisterTrack = 100;
constexpr int kInterruptTrack = 101;

double microseconds(const sc_core::sc_time& t) { return t.to_seconds() * 1e6; }

// The layer names of the ledger tags the IFU gave its layers ("layer<tag>@0x<program>"), for the
// engines' and the DMA's records, which carry the ledger tag.
std::map<TagId, std::string> names_of_ledger_tags(const std::vector<ifu::InstructionRecord>& records,
                                                  const EnergyLedger& ledger, const LayerNames& names) {
  std::set<std::pair<uint64_t, uint32_t>> layers;
  for (const ifu::InstructionRecord& r : records) layers.emplace(r.instr_base, r.tag);
  std::map<TagId, std::string> by_tag;
  for (const auto& [base, tag] : layers)
    if (const auto id = ledger.find_tag(layer_tag_name(base, tag))) by_tag.emplace(*id, names.name(base, tag));
  return by_tag;
}

}  // namespace

RunTrace::RunTrace(Soc& soc, const EnergyLedger& ledger, uint64_t max_events)
    : soc_(soc), ledger_(ledger), max_events_(max_events) {}

void RunTrace::sample(const sc_core::sc_time& t) {
  const double now_ns = t.to_seconds() * 1e9;
  if (now_ns <= (samples_.empty() ? 0.0 : samples_.back().end_ns)) return;  // as the power monitor does
  // Every sample makes at least two events (power, DDR): more could never be written.
  if (samples_.size() >= max_events_ / 2 + 1) {
    ++samples_not_kept_;
    return;
  }
  Sample s;
  s.end_ns = now_ns;
  const PowerMonitor& power = soc_.power();
  for (int l = 0; l < kLevelCount; ++l) s.power[l] = power.last_span().level[l] * power.power_scale();
  const DdrBandwidthMonitor::Span& ddr = soc_.ddr_bandwidth().last_span();
  s.ddr_read_bytes = ddr.bytes_read;
  s.ddr_written_bytes = ddr.bytes_written;
  samples_.push_back(s);
  const Bus& bus = soc_.bus();
  for (size_t p = 0; p < bus.memory_map().size(); ++p)
    port_busy_ns_.push_back(bus.target_statistics(p).busy.to_seconds() * 1e9);
}

void RunTrace::add_engine_and_dma_tracks(ChromeTrace& trace, const LayerNames& names) const {
  const auto ledger_names = names_of_ledger_tags(soc_.ifu().trace(), ledger_, names);
  const auto name_of = [&](TagId tag) -> std::string {
    const auto it = ledger_names.find(tag);
    if (it != ledger_names.end()) return it->second;
    return tag != kUntagged && tag < ledger_.tag_count() ? ledger_.tag_name(tag) : "untagged";
  };
  trace.thread_name(kProcess, kCnnTrack, "CNN engine");
  for (const CnnEngine::InstructionRecord& r : soc_.cnn().instruction_records()) {
    const std::string layer = name_of(r.ledger_tag);
    trace.slice(std::string(ifu::opcode_name(r.opcode)) + " " + layer, "cnn", kProcess, kCnnTrack,
                microseconds(r.start), microseconds(r.end), [&] {
                  return nlohmann::json{{"layer", layer},          {"tag", r.tag},
                                        {"index", r.index},        {"cycles", r.timing.cycles},
                                        {"macs", r.timing.macs},   {"utilization", r.timing.utilization}};
                });
  }
  if (const LstmEngine* lstm = soc_.lstm()) {
    trace.thread_name(kProcess, kLstmTrack, "LSTM engine");
    for (const LstmEngine::InstructionRecord& r : lstm->instruction_records()) {
      const std::string layer = name_of(r.ledger_tag);
      trace.slice(std::string(ifu::opcode_name(r.opcode)) + " " + layer, "lstm", kProcess, kLstmTrack,
                  microseconds(r.start), microseconds(r.end), [&] {
                    return nlohmann::json{{"layer", layer},        {"tag", r.tag},
                                          {"index", r.index},      {"cycles", r.timing.cycles},
                                          {"macs", r.timing.macs}, {"nonzero_macs", r.timing.nonzero_macs}};
                  });
    }
  }
  const DmaEngine& dma = soc_.dma();
  for (unsigned c = 0; c < dma.channels(); ++c)
    trace.thread_name(kProcess, kFirstDmaTrack + static_cast<int>(c), "DMA channel " + std::to_string(c));
  for (const DmaEngine::JobRecord& r : dma.job_records()) {
    const std::string what = r.from_registers ? "software job" : name_of(r.tag);
    trace.slice(what + (r.failed ? " (failed)" : ""), "dma", kProcess, kFirstDmaTrack + static_cast<int>(r.channel),
                microseconds(r.start), microseconds(r.end), [&] {
                  return nlohmann::json{{"bytes", r.bytes},
                                        {"source", r.from_registers ? "registers" : "ifu"},
                                        {"failed", r.failed}};
                });
  }
}

// Each counter holds its value from its event to the next: a span's figures go at its start, and
// zeros close the last span.
void RunTrace::add_counters(ChromeTrace& trace) const {
  const Bus& bus = soc_.bus();
  const size_t ports = bus.memory_map().size();
  std::vector<size_t> busy_ports;  // only the ports that carried traffic get a series
  for (size_t p = 0; p < ports && !samples_.empty(); ++p)
    if (port_busy_ns_[(samples_.size() - 1) * ports + p] > 0) busy_ports.push_back(p);
  const std::string power_name = "power (" + soc_.power().power_unit() + ")";
  double start_ns = 0;
  for (size_t i = 0; i < samples_.size(); ++i) {
    const Sample& s = samples_[i];
    const double span_ns = s.end_ns - start_ns, ts = start_ns / 1e3;
    trace.counter(power_name, kProcess, ts, [&] {
      nlohmann::json values;
      for (int l = 0; l < kLevelCount; ++l) values[to_string(static_cast<Level>(l))] = s.power[l];
      return values;
    });
    trace.counter("DDR bandwidth (GB/s)", kProcess, ts, [&] {  // bytes per ns = GB/s
      return nlohmann::json{{"read", double(s.ddr_read_bytes) / span_ns}, {"write", double(s.ddr_written_bytes) / span_ns}};
    });
    if (!busy_ports.empty())
      trace.counter("bus utilization", kProcess, ts, [&] {
        nlohmann::json values;
        for (size_t p : busy_ports) {
          const double before = i > 0 ? port_busy_ns_[(i - 1) * ports + p] : 0.0;
          values[bus.memory_map().regions()[p].name] = (port_busy_ns_[i * ports + p] - before) / span_ns;
        }
        return values;
      });
    start_ns = s.end_ns;
  }
  if (samples_.empty()) return;
  const double end = samples_.back().end_ns / 1e3;
  trace.counter(power_name, kProcess, end, [&] {
    nlohmann::json values;
    for (int l = 0; l < kLevelCount; ++l) values[to_string(static_cast<Level>(l))] = 0.0;
    return values;
  });
  trace.counter("DDR bandwidth (GB/s)", kProcess, end, [] { return nlohmann::json{{"read", 0.0}, {"write", 0.0}}; });
  if (!busy_ports.empty())
    trace.counter("bus utilization", kProcess, end, [&] {
      nlohmann::json values;
      for (size_t p : busy_ports) values[bus.memory_map().regions()[p].name] = 0.0;
      return values;
    });
}

void RunTrace::add_events(ChromeTrace& trace, const LayerNames& names, const std::string& scenario) const {
  trace.process_name(kProcess, "dlvp " + scenario);
  soc_.ifu().instruction_trace().add_tracks(trace, kProcess, [&](uint64_t base, uint32_t tag) {
    return names.name(base, tag);
  });
  add_engine_and_dma_tracks(trace, names);
  add_software_tracks(trace);
  add_counters(trace);
}

void RunTrace::register_access(const trace::RegisterAccess& a) {
  if (register_accesses_.size() >= max_events_) {
    ++register_accesses_not_kept_;
    return;
  }
  char value[32];
  std::snprintf(value, sizeof value, " = 0x%llx", static_cast<unsigned long long>(a.value));
  register_accesses_.push_back(
      {a.time.to_seconds() * 1e6, std::string(a.initiator) + (a.write ? " write " : " read ") +
                                      (a.reg ? a.reg->name : "unmapped") + " (" + std::string(a.block) + ")" +
                                      (a.status == tlm::TLM_OK_RESPONSE ? value : " refused")});
}

void RunTrace::interrupt(const trace::Interrupt& i) {
  if (interrupts_.size() >= max_events_) {
    ++interrupts_not_kept_;
    return;
  }
  interrupts_.push_back({i.time.to_seconds() * 1e6, std::string(trace::to_string(i.event)) + " " +
                                                         std::to_string(i.source) + " (" +
                                                         std::string(i.source_name) + ")"});
}

void RunTrace::add_software_tracks(ChromeTrace& trace) const {
  const auto track = [&](int tid, const char* name, const char* category, const std::vector<SoftwareEvent>& events) {
    if (events.empty()) return;
    trace.thread_name(kProcess, tid, name);
    // Initiators report at their own local times (temporal decoupling): a track is in time order.
    std::vector<const SoftwareEvent*> ordered;
    ordered.reserve(events.size());
    for (const SoftwareEvent& e : events) ordered.push_back(&e);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const SoftwareEvent* a, const SoftwareEvent* b) { return a->time_us < b->time_us; });
    for (const SoftwareEvent* e : ordered)
      trace.slice(e->name, category, kProcess, tid, e->time_us, e->time_us, [] { return nlohmann::json::object(); });
  };
  track(kRegisterTrack, "register accesses", "mmio", register_accesses_);
  track(kInterruptTrack, "interrupts", "irq", interrupts_);
}

nlohmann::json RunTrace::records_not_kept() const {
  nlohmann::json not_kept = {{"ifu_instructions", soc_.ifu().instruction_trace().records_not_kept()},
                             {"cnn_instructions", soc_.cnn().instruction_records_not_kept()},
                             {"dma_jobs", soc_.dma().job_records_not_kept()},
                             {"counter_samples", samples_not_kept_},
                             {"register_accesses", register_accesses_not_kept_},
                             {"interrupts", interrupts_not_kept_}};
  if (const LstmEngine* lstm = soc_.lstm()) not_kept["lstm_instructions"] = lstm->instruction_records_not_kept();
  return not_kept;
}

nlohmann::json RunTrace::write(std::ostream& out, const LayerNames& names, const std::string& scenario) const {
  ChromeTrace counting;
  add_events(counting, names, scenario);
  const double cutoff_us = counting.cutoff_for(max_events_);
  const bool cut = cutoff_us != std::numeric_limits<double>::infinity();
  nlohmann::json summary = {{"file", "trace.json"},
                            {"max_events", max_events_},
                            {"events_counted", counting.counted()},
                            {"cut_off_us", cut ? nlohmann::json(cutoff_us) : nlohmann::json(nullptr)},
                            {"records_not_kept", records_not_kept()}};
  nlohmann::json other_data = summary;
  other_data["producer"] = "dlvp";
  other_data["note"] = cut ? "report.trace_max_events reached: only events beginning before cut_off_us are written"
                           : "every event kept";
  ChromeTrace trace(out, cutoff_us);
  trace.begin(other_data);
  add_events(trace, names, scenario);
  trace.end();
  summary["events"] = trace.written();
  summary["events_left_out"] = trace.left_out();
  return summary;
}

std::string trace_summary_line(const nlohmann::json& report) {
  if (!report.contains("trace")) return "";
  const nlohmann::json& t = report.at("trace");
  std::string line = "trace  " + std::to_string(t.value("events", uint64_t{0})) + " events in trace.json";
  const nlohmann::json cut_off = t.value("cut_off_us", nlohmann::json());
  if (cut_off.is_number()) {
    char text[200];
    std::snprintf(text, sizeof text, "; CUT at %.3f us: %llu later events left out (report.trace_max_events = %llu)",
                  cut_off.get<double>(), static_cast<unsigned long long>(t.value("events_left_out", uint64_t{0})),
                  static_cast<unsigned long long>(t.value("max_events", uint64_t{0})));
    line += text;
  }
  return line;
}

}  // namespace dlvp
