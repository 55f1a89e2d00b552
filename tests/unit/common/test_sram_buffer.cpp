// SramBuffer: address checks, access timing per port width and port count, energy counts.
#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"
#include "ip/common/sram_buffer.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <fstream>
#include <memory>
#include <optional>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

TechTable test_tech() {
  const std::string path = testing::TempDir() + "sram_buffer_tech.yaml";
  std::ofstream(path) << "name: test\nunit: pJ\nentries: {}\n"
                         "sram:\n  source: test points\n  points:\n"
                         "    - {bytes: 8192, read: 10, write: 13}\n"
                         "    - {bytes: 1048576, read: 100, write: 130}\n";
  return TechTable::load(path);
}

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket{"socket"};
  explicit Initiator(sc_core::sc_module_name n) : sc_module(n) {}
};

// One buffer and one initiator, elaborated; tests then call the socket directly at time 0.
struct Rig {
  EnergyLedger ledger{test_tech()};
  std::unique_ptr<SramBuffer> sram;
  std::unique_ptr<Initiator> init;
  std::vector<uint8_t> data = std::vector<uint8_t>(4096, 0);

  explicit Rig(const SramBufferConfig& config) {
    sram = std::make_unique<SramBuffer>("sram", config, ledger);
    init = std::make_unique<Initiator>("init");
    init->socket.bind(sram->socket);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
  }

  // Returns the annotated delay; `status` gets the response. A payload with `tag` carries it in an
  // EnergyTagExtension.
  sc_time access(tlm::tlm_command cmd, uint64_t address, unsigned length, tlm::tlm_response_status* status = nullptr,
                 std::optional<TagId> tag = std::nullopt) {
    tlm::tlm_generic_payload t;
    setup_payload(t, cmd, address, data.data(), length);
    EnergyTagExtension extension(tag.value_or(kUntagged));
    if (tag) t.set_extension(&extension);
    sc_time delay = sc_core::SC_ZERO_TIME;
    init->socket->b_transport(t, delay);
    if (tag) t.clear_extension(&extension);
    if (status) *status = t.get_response_status();
    return delay;
  }
};

SramBufferConfig config_of(uint64_t size, uint32_t width, uint32_t ports, double mhz = 200.0) {
  SramBufferConfig c;
  c.size_bytes = size;
  c.port_width_bytes = width;
  c.ports = ports;
  c.clock_mhz = mhz;
  return c;
}

}  // namespace

TEST(SramBuffer, AccessesOutsideTheArrayGetAddressErrors) {
  const uint64_t size = 16 * 1024;
  Rig rig(config_of(size, 8, 1));
  tlm::tlm_response_status status;
  rig.access(tlm::TLM_WRITE_COMMAND, size - 64, 64, &status);
  EXPECT_EQ(status, tlm::TLM_OK_RESPONSE);
  rig.access(tlm::TLM_WRITE_COMMAND, size - 63, 64, &status);  // straddles the end
  EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  rig.access(tlm::TLM_READ_COMMAND, size, 1, &status);
  EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  rig.access(tlm::TLM_READ_COMMAND, ~uint64_t{0} - 2, 8, &status);  // would wrap around
  EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  // Refused accesses neither count nor take time.
  EXPECT_EQ(rig.sram->stats().write_accesses, 1u);
  EXPECT_EQ(rig.sram->stats().read_accesses, 0u);
}

TEST(SramBuffer, DataRoundTripsThroughTransportDmiAndDebug) {
  Rig rig(config_of(8192, 8, 1));
  for (unsigned i = 0; i < 100; ++i) rig.data[i] = static_cast<uint8_t>(3 * i + 1);
  rig.access(tlm::TLM_WRITE_COMMAND, 1000, 100);
  EXPECT_EQ(std::memcmp(rig.sram->data() + 1000, rig.data.data(), 100), 0);

  std::vector<uint8_t> back(100, 0);
  tlm::tlm_generic_payload t;
  setup_payload(t, tlm::TLM_READ_COMMAND, 1000, back.data(), 100);
  EXPECT_EQ(rig.init->socket->transport_dbg(t), 100u);
  EXPECT_EQ(back, std::vector<uint8_t>(rig.data.begin(), rig.data.begin() + 100));
  setup_payload(t, tlm::TLM_READ_COMMAND, 8190, back.data(), 4);
  EXPECT_EQ(rig.init->socket->transport_dbg(t), 0u);
  EXPECT_EQ(t.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);

  DmiAccountingExtension ext;
  tlm::tlm_dmi dmi;
  setup_payload(t, tlm::TLM_READ_COMMAND, 0, nullptr, 0);
  t.set_extension(&ext);
  ASSERT_TRUE(rig.init->socket->get_direct_mem_ptr(t, dmi));
  t.clear_extension(&ext);
  EXPECT_EQ(dmi.get_dmi_ptr(), rig.sram->data());
  EXPECT_EQ(dmi.get_end_address(), 8191u);
  EXPECT_TRUE(dmi.is_read_write_allowed());
  ASSERT_NE(ext.accountant, nullptr);
  // DMI traffic reported through the accountant shows up in the counts and costs port time.
  EXPECT_EQ(ext.accountant->account(0, 64, false), rig.sram->access_time(64));
  EXPECT_EQ(rig.sram->stats().bytes_read, 64u);
}

TEST(SramBuffer, AccessTimeIsCyclesOfPortWidth) {
  const double mhz = 250.0;
  const sc_time cycle(1e3 / mhz, SC_NS);
  EnergyLedger ledger(test_tech());
  for (uint32_t width : {8u, 16u, 64u}) {
    SramBuffer sram(("sram_w" + std::to_string(width)).c_str(), config_of(4096, width, 1, mhz), ledger);
    for (unsigned length : {1u, 16u, 17u, 100u, 256u}) {
      const uint64_t cycles = (length + width - 1) / width;
      EXPECT_EQ(sram.access_time(length), cycle * static_cast<double>(cycles)) << width << " B port, " << length << " B";
    }
  }
}

TEST(SramBuffer, SinglePortSerializesSimultaneousAccesses) {
  const uint32_t width = 8;
  Rig rig(config_of(4096, width, 1, 200.0));
  const sc_time cycle(5, SC_NS);
  const unsigned length = 64;
  const sc_time one = cycle * double((length + width - 1) / width);
  EXPECT_EQ(rig.access(tlm::TLM_READ_COMMAND, 0, length), one);
  EXPECT_EQ(rig.access(tlm::TLM_WRITE_COMMAND, 512, length), 2 * one);  // waits for the port
  EXPECT_EQ(rig.sram->stats().port_wait, one);
}

TEST(SramBuffer, SeveralPortsServeThatManyAccessesPerCycle) {
  const uint32_t width = 32, ports = 3;
  Rig rig(config_of(4096, width, ports, 100.0));
  const sc_time cycle(10, SC_NS);
  const unsigned length = 96;
  const sc_time one = cycle * double((length + width - 1) / width);
  for (uint32_t p = 0; p < ports; ++p) EXPECT_EQ(rig.access(tlm::TLM_READ_COMMAND, 0, length), one) << p;
  EXPECT_EQ(rig.access(tlm::TLM_READ_COMMAND, 0, length), 2 * one);  // ports + 1 -th access waits
}

TEST(SramBuffer, EnergyCountsSixtyFourBitWordsAtTheArraySize) {
  const uint64_t size = 64 * 1024;
  Rig rig(config_of(size, 8, 1));
  rig.access(tlm::TLM_WRITE_COMMAND, 0, 64);   // 8 words
  rig.access(tlm::TLM_READ_COMMAND, 0, 12);    // 2 words (rounded up)
  rig.sram->count_reads(100);                  // the owner's datapath: 13 words
  rig.sram->count_writes(8);                   // 1 word
  // Each side of the array counted apart, at the same unit energy.
  const CounterId rd = rig.ledger.find("sram", "read"), wr = rig.ledger.find("sram", "write");
  const CounterId dp_rd = rig.ledger.find("sram", "datapath.read"), dp_wr = rig.ledger.find("sram", "datapath.write");
  EXPECT_EQ(rig.ledger.count_of(rd), 2u);
  EXPECT_EQ(rig.ledger.count_of(wr), 8u);
  EXPECT_EQ(rig.ledger.count_of(dp_rd), 13u);
  EXPECT_EQ(rig.ledger.count_of(dp_wr), 1u);
  EXPECT_EQ(rig.ledger.spec(rd).level, Level::buffer);
  EXPECT_EQ(rig.ledger.spec(dp_wr).level, Level::buffer);
  EXPECT_EQ(rig.ledger.spec(rd).buffer_side, "socket");
  EXPECT_EQ(rig.ledger.spec(dp_rd).buffer_side, "datapath");
  const TechTable& tech = rig.ledger.tech();
  EXPECT_DOUBLE_EQ(rig.ledger.energy_of(rd, 0.0) + rig.ledger.energy_of(dp_rd, 0.0), 15 * tech.sram_access_64b(size, false));
  EXPECT_DOUBLE_EQ(rig.ledger.energy_of(wr, 0.0) + rig.ledger.energy_of(dp_wr, 0.0), 9 * tech.sram_access_64b(size, true));
  EXPECT_EQ(rig.ledger.spec(dp_rd).unit_energy, rig.ledger.spec(rd).unit_energy);
  EXPECT_EQ(rig.ledger.spec(dp_wr).unit_energy, rig.ledger.spec(wr).unit_energy);
  // 64 KiB lies between the 8 KiB and 1 MiB points: the unit energy is interpolated, not an end.
  EXPECT_GT(rig.ledger.spec(rd).unit_energy, 10.0);
  EXPECT_LT(rig.ledger.spec(rd).unit_energy, 100.0);
  EXPECT_NE(rig.ledger.spec(rd).source.find("sram_access_64b"), std::string::npos);
  EXPECT_EQ(rig.sram->stats().bytes_read, 112u);
  EXPECT_EQ(rig.sram->stats().bytes_written, 72u);
  EXPECT_EQ(rig.sram->stats().datapath_bytes_read, 100u);
  EXPECT_EQ(rig.sram->stats().datapath_bytes_written, 8u);

  nlohmann::json j;
  rig.sram->report(j, 1000.0);
  EXPECT_EQ(j["bytes_read"], 112u);
  EXPECT_EQ(j["write_accesses"], 2u);
  EXPECT_EQ(j["datapath"]["bytes_read"], 100u);
  EXPECT_FALSE(j["datapath"].contains("port_utilization")) << "no datapath port given: no capacity to set it against";
}

TEST(SramBuffer, EachSideIsSetAgainstItsOwnPort) {
  const uint32_t width = 8;
  const double clock_mhz = 200.0;
  Rig rig(config_of(8192, width, 1));
  const DatapathPort datapath{32, 100.0};
  rig.sram->set_datapath_port(datapath);
  const unsigned socket_bytes = 1024;
  const uint64_t datapath_bytes = 4096;
  rig.access(tlm::TLM_WRITE_COMMAND, 0, socket_bytes);
  rig.sram->count_reads(datapath_bytes);
  const double elapsed_ns = 2000.0;
  nlohmann::json j;
  rig.sram->report(j, elapsed_ns);
  EXPECT_DOUBLE_EQ(j["port_utilization"].get<double>(), socket_bytes / (elapsed_ns * 1e-3 * clock_mhz * width));
  EXPECT_DOUBLE_EQ(j["datapath"]["port_utilization"].get<double>(),
                   datapath_bytes / (elapsed_ns * 1e-3 * datapath.clock_mhz * datapath.width_bytes));
  EXPECT_EQ(j["datapath"]["port_width_bytes"], datapath.width_bytes);
  EXPECT_EQ(j["datapath"]["clock_MHz"], datapath.clock_mhz);
}

TEST(SramBuffer, CountsGoToThePayloadsTagOrTheAccountantsOrTheCallersTag) {
  Rig rig(config_of(8192, 8, 1));
  EnergyLedger& l = rig.ledger;
  const TagId layer = l.tag_named("layer1"), job = l.tag_named("job0");
  const CounterId rd = l.find("sram", "read"), wr = l.find("sram", "write");
  rig.access(tlm::TLM_WRITE_COMMAND, 0, 64, nullptr, layer);  // 8 words to the payload's tag
  rig.access(tlm::TLM_READ_COMMAND, 0, 16);                   // no extension, no current tag: untagged
  l.set_tag(job);
  rig.access(tlm::TLM_READ_COMMAND, 0, 8);                    // no extension: the current tag
  rig.access(tlm::TLM_READ_COMMAND, 0, 24, nullptr, layer);   // the payload's tag wins over the current one
  rig.sram->count_writes(16, layer);                          // fast path with an explicit tag
  rig.sram->count_reads(32);                                  // fast path: the current tag
  l.set_tag(kUntagged);
  const CounterId dp_rd = l.find("sram", "datapath.read"), dp_wr = l.find("sram", "datapath.write");
  EXPECT_EQ(l.count_of(wr, layer), 8u);
  EXPECT_EQ(l.count_of(dp_wr, layer), 2u);
  EXPECT_EQ(l.count_of(rd, layer), 3u);
  EXPECT_EQ(l.count_of(rd, job), 1u);
  EXPECT_EQ(l.count_of(dp_rd, job), 4u);
  EXPECT_EQ(l.count_of(rd, kUntagged), 2u);

  // DMI blocks reported through the accountant go to the tag it is given.
  DmiAccountingExtension ext;
  tlm::tlm_dmi dmi;
  tlm::tlm_generic_payload t;
  setup_payload(t, tlm::TLM_READ_COMMAND, 0, nullptr, 0);
  t.set_extension(&ext);
  ASSERT_TRUE(rig.init->socket->get_direct_mem_ptr(t, dmi));
  t.clear_extension(&ext);
  ASSERT_NE(ext.accountant, nullptr);
  ext.accountant->account(0, 64, true, layer);
  ext.accountant->account(0, 64, false);
  EXPECT_EQ(l.count_of(wr, layer), 8u + 8u);
  EXPECT_EQ(l.count_of(rd, kUntagged), 2u + 8u);
}

TEST(SramBuffer, OutOfRangeConfigurationIsAConfigError) {
  EnergyLedger ledger(test_tech());
  EXPECT_THROW(SramBuffer("bad_ports", config_of(4096, 8, 5), ledger), ConfigError);
  EXPECT_THROW(SramBuffer("bad_width", config_of(4096, 0, 1), ledger), ConfigError);
  EXPECT_THROW(SramBuffer("bad_size", config_of(0, 8, 1), ledger), ConfigError);

  YAML::Node yaml = YAML::Load("{size_bytes: 1024, ports: 9}");
  SramBufferConfig c;
  ParamBinder binder(yaml, "cnn.input_buffer", [](const std::string&) { return std::string("test.yaml"); });
  EXPECT_THROW(SramBufferConfig::bind(binder, c), ConfigError);
}
