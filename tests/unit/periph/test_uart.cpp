#include "ip/common/params.h"
#include "ip/periph/uart.h"
#include "ip/periph/uart_regs.h"
#include "tests/support/register_initiator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_path(const char* leaf) {
  return ::testing::TempDir() + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + leaf;
}

void send(test::RegisterInitiator& cpu, const std::string& text) {
  for (char c : text) cpu.write(uart::TXDATA, static_cast<unsigned char>(c));
}

// A UART with a CPU bound to it.
struct UartBench {
  Uart uart;
  test::RegisterInitiator cpu{"cpu"};
  explicit UartBench(const UartConfig& config) : uart("uart", config) { cpu.socket.bind(uart.socket); }
};

constexpr uint64_t kTxBits = uart::kStatusTxReady | uart::kStatusTxEmpty;

UartConfig quiet_config() {
  UartConfig config;
  config.echo = false;
  return config;
}

}  // namespace

TEST(Uart, LinesGoToStdoutLogAndTranscriptAndThePartialLineIsFlushedAtTheEnd) {
  UartConfig config;  // echo on, infinitely fast
  Uart uart("uart", config);
  test::RegisterInitiator cpu("cpu");
  cpu.socket.bind(uart.socket);
  const std::string log_path = temp_path("uart.log");
  uart.set_log_path(log_path);

  cpu.body = [&](test::RegisterInitiator& c) {
    send(c, "hello\nworld\n");
    send(c, "part");
    // A partial line is in the transcript at once but reaches the log only when completed.
    EXPECT_EQ(uart.transcript(), "hello\nworld\npart");
    EXPECT_EQ(read_file(log_path), "hello\nworld\n");
    send(c, "ial");
    c.sync();
    sc_core::sc_stop();
  };
  ::testing::internal::CaptureStdout();
  sc_core::sc_start();
  const std::string printed = ::testing::internal::GetCapturedStdout();

  EXPECT_EQ(uart.transcript(), "hello\nworld\npartial");
  EXPECT_EQ(printed, "hello\nworld\npartial\n");
  EXPECT_EQ(read_file(log_path), "hello\nworld\npartial\n");
  nlohmann::json stats;
  uart.report(stats, sc_core::sc_time_stamp().to_seconds() * 1e9);
  EXPECT_EQ(stats["characters"], std::string("hello\nworld\npartial").size());
  EXPECT_EQ(stats["lines"], 3u);
  EXPECT_EQ(stats["characters_dropped"], 0u);
  EXPECT_EQ(stats["register_writes"], std::string("hello\nworld\npartial").size());
}

TEST(Uart, EchoOffKeepsStdoutClean) {
  UartConfig config;
  config.echo = false;
  Uart uart("uart", config);
  test::RegisterInitiator cpu("cpu");
  cpu.socket.bind(uart.socket);
  cpu.body = [&](test::RegisterInitiator& c) { send(c, "quiet\n"); };
  ::testing::internal::CaptureStdout();
  sc_core::sc_start();
  uart.flush();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(uart.transcript(), "quiet\n");
}

TEST(Uart, ALogThatCannotBeOpenedIsRecordedAndTheConsoleGoesOn) {
  UartBench bench(quiet_config());
  Uart& uart = bench.uart;
  uart.set_log_path("/nonexistent-dlvp-dir/out/uart.log");
  EXPECT_EQ(uart.log_error(), "No such file or directory");
  bench.cpu.body = [&](test::RegisterInitiator& c) { send(c, "still here\n"); };
  sc_core::sc_start();
  EXPECT_EQ(uart.transcript(), "still here\n");
}

TEST(Uart, AFailedLogWriteIsRecordedNotThrown) {
  UartBench bench(quiet_config());
  Uart& uart = bench.uart;
  uart.set_log_path("/dev/full");  // opens, but every write fails: a full disk
  EXPECT_EQ(uart.log_error(), "");
  bench.cpu.body = [&](test::RegisterInitiator& c) { send(c, "one\ntwo\n"); };
  sc_core::sc_start();
  EXPECT_EQ(uart.log_error(), "No space left on device");
  EXPECT_EQ(uart.transcript(), "one\ntwo\n");
}

TEST(Uart, TheTranscriptKeepsTheTailAndCountsWhatWasDropped) {
  UartConfig config = quiet_config();
  config.transcript_bytes = 10;
  UartBench bench(config);
  Uart& uart = bench.uart;
  std::string all;
  for (int i = 0; i < 1000; ++i) all += static_cast<char>('a' + i % 26);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    send(c, all.substr(0, 5));
    EXPECT_EQ(uart.transcript(), all.substr(0, 5));
    EXPECT_EQ(uart.transcript_dropped_bytes(), 0u);
    send(c, all.substr(5));
  };
  sc_core::sc_start();
  EXPECT_EQ(uart.transcript(), all.substr(990));
  EXPECT_EQ(uart.transcript_dropped_bytes(), 990u);
  nlohmann::json stats;
  uart.report(stats, 1);
  EXPECT_EQ(stats["characters"], 1000u);
  EXPECT_EQ(stats["transcript_dropped_bytes"], 990u);
}

TEST(Uart, AnEndlessLineIsEmittedInPiecesAndTheLogAndEchoStopAtTheirBound) {
  UartConfig config;
  config.log_max_bytes = 3 * Uart::kMaxLineBytes;
  UartBench bench(config);
  Uart& uart = bench.uart;
  const std::string log_path = temp_path("uart.log");
  uart.set_log_path(log_path);
  bench.cpu.body = [&](test::RegisterInitiator& c) { send(c, std::string(10 * Uart::kMaxLineBytes, 'x')); };  // no newline
  ::testing::internal::CaptureStdout();
  sc_core::sc_start();
  const std::string printed = ::testing::internal::GetCapturedStdout();
  const std::string piece = std::string(Uart::kMaxLineBytes, 'x') + "\n";
  const std::string note = "[dlvp: the rest of the program's output is cut here: uart.log_max_bytes = " +
                           std::to_string(config.log_max_bytes) + "]\n";
  // Two pieces fit (2 x 4097 bytes), the third would pass the bound.
  EXPECT_EQ(read_file(log_path), piece + piece + note);
  EXPECT_EQ(printed, piece + piece + note);
  EXPECT_EQ(uart.log_error(), "");
  nlohmann::json stats;
  uart.report(stats, 1);
  EXPECT_EQ(stats["lines"], 10u);
  EXPECT_EQ(stats["log_cut"], true);
  EXPECT_EQ(stats["log_bytes"], 2 * piece.size());
}

TEST(Uart, BaudRateKeepsTheTransmitterBusyAndAFullFifoDrops) {
  UartConfig config;
  config.echo = false;
  config.baud_rate = 1000000;
  config.tx_fifo_depth = 4;
  Uart uart("uart", config);
  test::RegisterInitiator cpu("cpu");
  cpu.socket.bind(uart.socket);
  const sc_time char_time(10.0 / config.baud_rate, sc_core::SC_SEC);  // start + 8 data + stop bits
  const unsigned in_flight = config.tx_fifo_depth + 1;                  // FIFO plus shift register
  const std::string burst = "0123456789";
  ASSERT_GT(burst.size(), in_flight);
  ASSERT_LT(burst.size() * config.timing.access_delay(), char_time) << "burst must fit in one character time";

  cpu.body = [&](test::RegisterInitiator& c) {
    c.sync();
    c.settle();  // start away from time zero so the kernel time matters
    EXPECT_EQ(c.read(uart::STATUS) & kTxBits, uart::kStatusTxReady | uart::kStatusTxEmpty);
    const sc_time t0 = c.now();  // the first character starts shifting at once
    send(c, burst);
    EXPECT_EQ(c.read(uart::STATUS) & kTxBits, 0u) << "FIFO full and transmitter busy";
    EXPECT_EQ(c.read(uart::TX_DROPPED), burst.size() - in_flight);
    EXPECT_EQ(uart.transcript(), burst.substr(0, in_flight));

    // One character leaves the FIFO when the first has been shifted out.
    c.at(t0 + char_time - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusTxReady, 0u);
    c.at(t0 + char_time);
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusTxReady, uart::kStatusTxReady);
    // Everything is out after in_flight character times.
    c.at(t0 + char_time * in_flight - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusTxEmpty, 0u);
    c.at(t0 + char_time * in_flight);
    EXPECT_EQ(c.read(uart::STATUS) & kTxBits, uart::kStatusTxReady | uart::kStatusTxEmpty);

    // After synchronizing, a new character is accepted and occupies the line for one character time.
    c.sync();
    const sc_time t1 = c.now();
    send(c, "X");
    c.at(t1 + char_time - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusTxEmpty, 0u);
    c.at(t1 + char_time);
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusTxEmpty, uart::kStatusTxEmpty);
  };
  sc_core::sc_start();
  EXPECT_EQ(uart.characters_dropped(), burst.size() - in_flight);
  EXPECT_EQ(uart.transcript(), burst.substr(0, in_flight) + "X");
}

TEST(Uart, ReceiverIsEmptyAndBadAccessesGetErrorResponses) {
  UartConfig config;
  config.echo = false;
  Uart uart("uart", config);
  test::RegisterInitiator cpu("cpu");
  cpu.socket.bind(uart.socket);
  cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read(uart::RXDATA) & uart::kRxEmpty, uart::kRxEmpty);
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusRxValid, 0u);
    EXPECT_EQ(c.write_status(uart::RXDATA, 0x41), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(uart::STATUS, 0), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(0x100), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(0x1000, 0x41), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read(uart::TXDATA), 0u) << "write-only register reads 0";

    // Debug transport reads status without side effects; a debug write transmits nothing.
    uint64_t value = 0;
    EXPECT_EQ(c.debug(tlm::TLM_READ_COMMAND, uart::STATUS, value), 4u);
    EXPECT_EQ(value, uart::kStatusTxReady | uart::kStatusTxEmpty | uart::kStatusRxEnded) << "no input: ended";
    value = 'Z';
    EXPECT_EQ(c.debug(tlm::TLM_WRITE_COMMAND, uart::TXDATA, value), 4u);
  };
  sc_core::sc_start();
  EXPECT_EQ(uart.transcript(), "");
}

namespace {

// A UART reading `text` from a file, at `baud_rate`.
UartConfig input_config(const std::string& text, uint32_t baud_rate, uint32_t rx_fifo_depth) {
  const std::string path = temp_path("input.txt");
  std::ofstream(path, std::ios::binary) << text;
  UartConfig config = quiet_config();
  config.input = path;
  config.baud_rate = baud_rate;
  config.rx_fifo_depth = rx_fifo_depth;
  return config;
}

// One character's time on the line: start bit, 8 data bits, stop bit.
sc_time character_time(uint32_t baud_rate) { return sc_time(10.0 / baud_rate, sc_core::SC_SEC); }

}  // namespace

TEST(Uart, ReceiverDeliversTheInputFileAtTheBaudRateThenEnds) {
  const uint32_t baud = 115200;
  UartBench bench(input_config("ab\n", baud, 16));
  const sc_time char_time = character_time(baud);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read(uart::STATUS) & (uart::kStatusRxValid | uart::kStatusRxEnded), 0u);
    c.at(char_time - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusRxValid, 0u) << "the first stop bit is not in yet";
    c.at(char_time - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::RXDATA), uart::kRxEmpty);
    c.at(char_time);
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusRxValid, uart::kStatusRxValid);
    EXPECT_EQ(c.read(uart::RXDATA), uint64_t{'a'});
    // The sender went on at once: 'b' and the newline follow one character time apart.
    c.at(2 * char_time - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::RXDATA), uart::kRxEmpty);
    c.at(3 * char_time);
    EXPECT_EQ(c.read(uart::RXDATA), uint64_t{'b'});
    EXPECT_EQ(c.read(uart::RXDATA), uint64_t{'\n'});
    EXPECT_EQ(c.read(uart::STATUS) & (uart::kStatusRxValid | uart::kStatusRxEnded), 0u);
    // The end of the file shows when a fourth character would have been received.
    c.at(4 * char_time);
    EXPECT_EQ(c.read(uart::STATUS) & (uart::kStatusRxValid | uart::kStatusRxEnded), uart::kStatusRxEnded);
    EXPECT_EQ(c.read(uart::RXDATA), uart::kRxEmpty);
  };
  sc_core::sc_start();
  EXPECT_EQ(bench.uart.characters_received(), 3u);
  nlohmann::json stats;
  bench.uart.report(stats, 1);
  EXPECT_EQ(stats["characters_received"], 3u);
}

TEST(Uart, AFullReceiveFifoHoldsTheSenderBackAndDebugReadsDoNotTake) {
  const uint32_t baud = 9600;
  const uint32_t depth = 2;
  UartBench bench(input_config("abcdef", baud, depth));
  const sc_time char_time = character_time(baud);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.at(10 * char_time);  // 'a' and 'b' fill the FIFO; the sender waits
    c.sync();              // a debugger reads at the kernel's time
    uint64_t shown = 0;
    EXPECT_EQ(c.debug(tlm::TLM_READ_COMMAND, uart::RXDATA, shown), 4u);
    EXPECT_EQ(shown, uint64_t{'a'});
    EXPECT_EQ(c.read(uart::RXDATA), uint64_t{'a'}) << "a debugger's read left it";
    EXPECT_EQ(c.read(uart::RXDATA), uint64_t{'b'});
    EXPECT_EQ(c.read(uart::RXDATA), uart::kRxEmpty) << "'c' started only when 'a' made room";
    c.at(11 * char_time - sc_time(1, SC_NS));
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusRxValid, 0u);
    c.at(11 * char_time);
    EXPECT_EQ(c.read(uart::RXDATA), uint64_t{'c'});
  };
  sc_core::sc_start();
  EXPECT_EQ(bench.uart.characters_received(), 3u);
}

TEST(Uart, InfinitelyFastReceiverDeliversEverythingAtOnce) {
  const std::string text = "line one\nline two\n";
  UartBench bench(input_config(text, 0, 4));
  std::string got;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    for (uint64_t v = c.read(uart::RXDATA); !(v & uart::kRxEmpty); v = c.read(uart::RXDATA))
      got += static_cast<char>(v & uart::kRxDataMask);
    EXPECT_EQ(c.read(uart::STATUS) & uart::kStatusRxEnded, uart::kStatusRxEnded);
  };
  sc_core::sc_start();
  EXPECT_EQ(got, text);
}

TEST(Uart, AMissingInputFileIsAConfigErrorNamingIt) {
  UartConfig config = quiet_config();
  config.input = temp_path("no_such_input.txt");
  try {
    Uart uart("uart", config);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(config.input), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("uart.input"), std::string::npos) << e.what();
  }
}

TEST(Uart, EachAccessTakesTheConfiguredRegisterCycles) {
  UartConfig config;
  config.echo = false;
  config.timing.clock_mhz = 50;
  config.timing.access_cycles = 2;
  Uart uart("uart", config);
  test::RegisterInitiator cpu("cpu");
  cpu.socket.bind(uart.socket);
  cpu.body = [&](test::RegisterInitiator& c) {
    c.read(uart::STATUS);
    EXPECT_EQ(c.local, sc_time(config.timing.access_cycles * 1e3 / config.timing.clock_mhz, SC_NS));
    c.write_status(0x800, 0);  // refused accesses take the same time
    EXPECT_EQ(c.local, 2 * sc_time(config.timing.access_cycles * 1e3 / config.timing.clock_mhz, SC_NS));
  };
  sc_core::sc_start();
}

TEST(Uart, ConfigIsBoundFromTheScenarioSection) {
  const YAML::Node section = YAML::Load("baud_rate: 115200\ntx_fifo_depth: 8\necho: false\nclock_mhz: 50");
  UartConfig config;
  ParamBinder binder(section, "uart", [](const std::string&) { return std::string("hw.yaml"); });
  UartConfig::bind(binder, config);
  binder.finish();
  EXPECT_EQ(config.baud_rate, 115200u);
  EXPECT_EQ(config.tx_fifo_depth, 8u);
  EXPECT_FALSE(config.echo);
  EXPECT_EQ(config.timing.clock_mhz, 50.0);

  UartConfig other;
  ParamBinder bad(YAML::Load("baudrate: 9600"), "uart", [](const std::string&) { return std::string("hw.yaml"); });
  UartConfig::bind(bad, other);
  EXPECT_THROW(bad.finish(), ConfigError);

  for (const auto& entry : describe_params<UartConfig>("uart")) {
    if (entry.type == "integer" || entry.type == "real") {
      EXPECT_FALSE(entry.unit.empty()) << entry.key;
    }
  }
}
