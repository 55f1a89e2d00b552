// Addresses of the small SoC of the SystemC CPU tests (test_cpu_iss.cpp): the platform's default
// map (platform/platform_config.cpp), DDR at 0x8000_0000.
#define SYSCTL_EXIT 0x10000008
#define TIMER_BASE 0x10002000
#define TIMER_MTIME 0x0
#define TIMER_MTIMECMP 0x8
#define INTC_BASE 0x10003000
#define INTC_ENABLE 0x4
#define INTC_CLAIM 0x8

// Ends the run through the system controller with the status in `reg`.
#define EXIT_WITH(reg) li t6, SYSCTL_EXIT; sw reg, 0(t6); 99: j 99b
