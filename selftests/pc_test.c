// SPDX-License-Identifier: GPL-2.0
/*
 * libvmm's PC machine (vmm_pc) driving a real guest: the 8259A pair and
 * the 8254 in userspace, interrupts delivered with VMM_INTERRUPT and
 * request_interrupt_window by libvmm's run loop.  A long-mode guest
 * programs the PIC as Linux does and the PIT's channel 0 as a rate
 * generator, counts IRQ 0 in its handler (EOI to the PIC) and stops
 * through the debug-exit port once it has counted enough:
 *
 *  1. ticks while the guest sleeps in STI;HLT: every interrupt the PIC
 *     acknowledged reached the guest's handler exactly once, and the
 *     halted vCPU did not keep a host CPU busy (its idle time);
 *  2. ticks while the guest spins with IF=1 and makes no exit of its
 *     own: the timer thread must kick the vCPU out of VMM_RUN;
 *  3. a storm: the PIT at about 40 kHz, far faster than interrupts can
 *     be delivered in the emulated host: periods coalesce in the PIC's
 *     request latch as on a PC, and still none acknowledged is lost or
 *     delivered twice;
 *  4. the UART: once the guest has set the UART up and printed its
 *     prompt, bytes written to the console input reach the guest's
 *     received-data interrupt handler, which echoes them to the
 *     transmitter, and come back on the console output;
 *  5. the CMOS clock reads the host's date.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#define S(x)		TU_XSTR(x)
#define DATA_GPA	0x200000
#define D_COUNT		0x00	/* u32: IRQ 0 handled */
#define D_TARGET	0x04	/* u32: stop after this many */
#define D_PITCOUNT	0x08	/* u16: the PIT's reload value */
#define D_SPIN		0x0c	/* u32: 1 = spin with IF=1, 0 = STI;HLT */
#define D_RX		0x10	/* u32: bytes received */
#define D_RTC		0x20	/* u8[10]: CMOS registers 0-9 */
#define D_RTC_B		0x2a	/* u8: status B */
#define D_RTC_CENT	0x2b	/* u8: century (0x32) */
#define VEC_BASE	0x20
#define VEC_COM1	(VEC_BASE + 4)

/* The PIC as Linux's i8259 driver sets it up: vectors 0x20 and 0x28. */
#define PIC_INIT(mask)							\
	"mov $0xff, %al\n out %al, $0x21\n out %al, $0xa1\n"		\
	"mov $0x11, %al\n out %al, $0x20\n"				\
	"mov $" S(VEC_BASE) ", %al\n out %al, $0x21\n"			\
	"mov $0x04, %al\n out %al, $0x21\n"				\
	"mov $0x01, %al\n out %al, $0x21\n"				\
	"mov $0x11, %al\n out %al, $0xa0\n"				\
	"mov $" S(VEC_BASE) "+8, %al\n out %al, $0xa1\n"		\
	"mov $0x02, %al\n out %al, $0xa1\n"				\
	"mov $0x01, %al\n out %al, $0xa1\n"				\
	"mov $" mask ", %al\n out %al, $0x21\n"

GUEST_CODE(ticks, 64,
	PIC_INIT("0xfe")
	/* Channel 0, LSB then MSB, mode 2. */
	"mov $0x34, %al\n out %al, $0x43\n"
	"movzwl " S(DATA_GPA) "+" S(D_PITCOUNT) ", %eax\n"
	"out %al, $0x40\n mov %ah, %al\n out %al, $0x40\n"
	"cmpl $0, " S(DATA_GPA) "+" S(D_SPIN) "\n"
	"jne 2f\n"
	"1: sti\n hlt\n cli\n"
	"mov " S(DATA_GPA) "+" S(D_COUNT) ", %eax\n"
	"cmp " S(DATA_GPA) "+" S(D_TARGET) ", %eax\n"
	"jb 1b\n"
	"jmp 3f\n"
	"2: sti\n"
	"4: mov " S(DATA_GPA) "+" S(D_COUNT) ", %eax\n"
	"cmp " S(DATA_GPA) "+" S(D_TARGET) ", %eax\n"
	"jb 4b\n"
	"cli\n"
	/* Stop the PIT, then leave through the debug-exit port. */
	"3: mov $0x30, %al\n out %al, $0x43\n"
	"mov $1, %al\n out %al, $0xf4\n"
	"5: hlt\n jmp 5b\n"
	".globl ticks_irq0\n .hidden ticks_irq0\n"
	"ticks_irq0:\n"
	"push %rax\n"
	"incl " S(DATA_GPA) "+" S(D_COUNT) "\n"
	"mov $0x20, %al\n out %al, $0x20\n"
	"pop %rax\n iretq\n");
extern const unsigned char ticks_irq0[];

/* COM1: received data interrupts only, FIFO on, OUT2 on; echo to THR. */
GUEST_CODE(echo, 64,
	PIC_INIT("0xef")
	"mov $0x3f8 + 3, %dx\n mov $0x03, %al\n out %al, %dx\n"
	"mov $0x3f8 + 2, %dx\n mov $0x07, %al\n out %al, %dx\n"
	"mov $0x3f8 + 4, %dx\n mov $0x0b, %al\n out %al, %dx\n"
	"mov $0x3f8 + 1, %dx\n mov $0x01, %al\n out %al, %dx\n"
	/* Ready: the host sends its line once it sees this prompt. */
	"mov $0x3f8, %dx\n mov $0x3e, %al\n out %al, %dx\n"
	"1: sti\n hlt\n cli\n"
	"cmpl $0x0a, " S(DATA_GPA) "+" S(D_RX) "+4\n"
	"jne 1b\n"
	"mov $1, %al\n out %al, $0xf4\n"
	"5: hlt\n jmp 5b\n"
	".globl echo_irq4\n .hidden echo_irq4\n"
	"echo_irq4:\n"
	"push %rax\n push %rdx\n"
	"2: mov $0x3f8 + 5, %dx\n in %dx, %al\n test $1, %al\n jz 3f\n"
	"mov $0x3f8, %dx\n in %dx, %al\n out %al, %dx\n"
	"incl " S(DATA_GPA) "+" S(D_RX) "\n"
	"movzbl %al, %eax\n mov %eax, " S(DATA_GPA) "+" S(D_RX) "+4\n"
	"jmp 2b\n"
	"3: mov $0x20, %al\n out %al, $0x20\n"
	"pop %rdx\n pop %rax\n iretq\n");
extern const unsigned char echo_irq4[];

/* Read CMOS 0-9, status B and the century, with NMIs left unmasked. */
#define CMOS_READ(reg, off)						\
	"mov $" #reg ", %al\n out %al, $0x70\n in $0x71, %al\n"		\
	"mov %al, " S(DATA_GPA) "+" off "\n"
GUEST_CODE(cmos, 64,
	/* Wait for no update in progress (status A bit 7). */
	"1: mov $0x0a, %al\n out %al, $0x70\n in $0x71, %al\n"
	"test $0x80, %al\n jnz 1b\n"
	CMOS_READ(0, "0x20") CMOS_READ(2, "0x22") CMOS_READ(4, "0x24")
	CMOS_READ(6, "0x26") CMOS_READ(7, "0x27") CMOS_READ(8, "0x28")
	CMOS_READ(9, "0x29") CMOS_READ(0x0b, "0x2a") CMOS_READ(0x32, "0x2b")
	"mov $1, %al\n out %al, $0xf4\n"
	"5: hlt\n jmp 5b\n");

#define HANDLER_GPA(sym, name) \
	(TEST_CODE_GPA + (uint64_t)(sym - name##_start))

struct machine {
	struct vmm_vm *vm;
	struct vmm_vcpu *vcpu;
	struct vmm_pc *pc;
	uint8_t *data;
};

static void machine_start(struct machine *m, const void *code, size_t len,
			  int in_fd, int out_fd)
{
	struct vmm_pc_config cfg = {
		.in_fd = in_fd, .out_fd = out_fd,
		.mem_below_4g = TEST_MEM_SIZE,
	};
	int ret;

	m->vm = vm_create_with_one_vcpu(&m->vcpu, VMM_MODE_LONG64, code, len);
	m->data = test_gpa(m->vm, DATA_GPA, 0x1000);
	memset(m->data, 0, 0x1000);
	ret = vmm_pc_create(m->vm, &cfg, &m->pc);
	TEST_ASSERT(ret == 0, "vmm_pc_create: %s", strerror(-ret));
	ret = vmm_debug_exit_attach(vmm_vm_bus(m->vm, VMM_BUS_PIO),
				    VMM_DEBUG_EXIT_PORT);
	TEST_ASSERT(ret == 0, "debug-exit port: %s", strerror(-ret));
}

static void machine_free(struct machine *m)
{
	vmm_pc_free(m->pc);
	test_vm_free(m->vm);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The idle time of host CPU cpu in seconds, from /proc/stat (precise
 * with a tickless kernel, unlike the sampled CPU time of a process).
 */
static double idle_s(int cpu)
{
	unsigned long long v[5];
	char name[16], want[16];
	double idle = -1;
	FILE *f;

	snprintf(want, sizeof(want), "cpu%d", cpu);
	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%15s %llu %llu %llu %llu %llu%*[^\n]", name, &v[0],
		      &v[1], &v[2], &v[3], &v[4]) == 6) {
		if (!strcmp(name, want)) {
			idle = (double)(v[3] + v[4]) / sysconf(_SC_CLK_TCK);
			break;
		}
	}
	fclose(f);
	return idle;
}

/* Run the machine; 1 if it stopped through the debug-exit port. */
static int machine_run(struct machine *m, unsigned int timeout_s,
		       struct vmm_stop *st)
{
	alarm(timeout_s);
	vmm_vm_run(m->vm, 0, st);
	alarm(0);
	return st->reason == VMM_STOP_DEBUG_EXIT && st->code == 1;
}

static struct vmm_vm *alarm_vm;

static void on_alarm(int sig)
{
	(void)sig;
	if (alarm_vm)
		vmm_vm_stop(alarm_vm, VMM_STOP_REQUEST, 0);
}

/*
 * One run of the tick guest: pit_count is the reload value, target the
 * ticks to count.  Checks delivery (acknowledged == handled) and, for a
 * halting guest, the host CPU time.
 */
static void test_ticks(const char *what, uint16_t pit_count, uint32_t target,
		       int spin, bool check_cpu)
{
	struct machine m;
	struct vmm_stop st;
	double t0, i0, wall, idle;
	cpu_set_t set;
	int cpu;
	uint64_t acks;
	uint32_t count;
	int ok;

	machine_start(&m, GUEST_CODE_PTR(ticks), GUEST_CODE_LEN(ticks), -1, -1);
	vcpu_set_handler(m.vcpu, VEC_BASE, HANDLER_GPA(ticks_irq0, ticks));
	memcpy(m.data + D_TARGET, &target, 4);
	memcpy(m.data + D_PITCOUNT, &pit_count, 2);
	memcpy(m.data + D_SPIN, &spin, 4);

	/*
	 * Every thread of the machine on one host CPU (they inherit this),
	 * whose idle time then says whether a halted guest keeps it busy.
	 */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(sched_setaffinity(0, sizeof(set), &set) == 0,
		    "sched_setaffinity");
	alarm_vm = m.vm;
	t0 = now_s();
	i0 = idle_s(cpu);
	ok = machine_run(&m, 120, &st);
	wall = now_s() - t0;
	idle = idle_s(cpu) - i0;
	alarm_vm = NULL;
	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);

	count = rd32(m.data + D_COUNT);
	acks = vmm_pic_ack_count(vmm_pc_pic(m.pc), 0);
	tap_check(ok, "%s: the guest counted its %u ticks and stopped (stop %s, code %lld)",
		   what, target, vmm_stop_reason_name(st.reason),
		   (long long)st.code);
	tap_check(count == acks && count >= target,
		   "%s: IRQ 0 acknowledged %llu times, handled %u times (want equal, >= %u)",
		   what, (unsigned long long)acks, count, target);
	tap_diag("%s: %.2f s wall, host CPU %d idle %.2f s, %.0f interrupts/s",
		 what, wall, cpu, idle, wall > 0 ? count / wall : 0);
	if (check_cpu)
		tap_check(idle > 0.5 * wall,
			   "%s: the host CPU running the machine was idle %.2f s of %.2f s (want > half: no spinning)",
			   what, idle, wall);
	machine_free(&m);
}

/*
 * The line goes in only after the guest's prompt: the guest's FCR write
 * clears the receive FIFO, as on a 16550, so earlier input would be lost.
 */
struct echo_feed {
	int out, in;
	const char *msg;
	bool prompted;
};

static void *echo_feeder(void *arg)
{
	struct echo_feed *f = arg;
	struct pollfd p = { .fd = f->out, .events = POLLIN };
	char c;

	while (poll(&p, 1, 60000) == 1 && read(f->out, &c, 1) == 1) {
		if (c == '>') {
			f->prompted = true;
			if (write(f->in, f->msg, strlen(f->msg)) < 0)
				f->prompted = false;
			break;
		}
	}
	return NULL;
}

static void test_echo(void)
{
	static const char msg[] = "vmm pc echo test\n";
	char out[64];
	int in[2], outp[2];
	struct machine m;
	struct vmm_stop st;
	struct echo_feed feed;
	pthread_t feeder;
	ssize_t n;
	int ok;

	TEST_ASSERT(pipe(in) == 0 && pipe2(outp, O_NONBLOCK) == 0, "pipe");
	machine_start(&m, GUEST_CODE_PTR(echo), GUEST_CODE_LEN(echo), in[0],
		      outp[1]);
	vcpu_set_handler(m.vcpu, VEC_COM1, HANDLER_GPA(echo_irq4, echo));
	feed = (struct echo_feed){ .out = outp[0], .in = in[1], .msg = msg };
	TEST_ASSERT(pthread_create(&feeder, NULL, echo_feeder, &feed) == 0,
		    "pthread_create");

	alarm_vm = m.vm;
	ok = machine_run(&m, 60, &st);
	alarm_vm = NULL;
	pthread_join(feeder, NULL);
	tap_check(feed.prompted, "uart: the guest's prompt came out, the line went in");
	n = read(outp[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	tap_check(ok, "uart: the guest stopped after the newline (stop %s)",
		   vmm_stop_reason_name(st.reason));
	tap_check(rd32(m.data + D_RX) == strlen(msg) && !strcmp(out, msg),
		   "uart: %u bytes through the RX interrupt, echoed \"%.*s\"",
		   rd32(m.data + D_RX), (int)strcspn(out, "\n"), out);
	machine_free(&m);
	close(in[0]);
	close(in[1]);
	close(outp[0]);
	close(outp[1]);
}

static unsigned int bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 15);
}

static void test_cmos(void)
{
	struct machine m;
	struct vmm_stop st;
	struct tm tm;
	time_t t;
	int ok, year, mon, day;

	machine_start(&m, GUEST_CODE_PTR(cmos), GUEST_CODE_LEN(cmos), -1, -1);
	ok = machine_run(&m, 60, &st);
	t = time(NULL);
	gmtime_r(&t, &tm);
	year = bcd(m.data[D_RTC_CENT]) * 100 + bcd(m.data[D_RTC + 9]);
	mon = bcd(m.data[D_RTC + 8]);
	day = bcd(m.data[D_RTC + 7]);
	tap_check(ok && !(m.data[D_RTC_B] & 4) &&
		   year == tm.tm_year + 1900 && mon == tm.tm_mon + 1 &&
		   day == tm.tm_mday,
		   "cmos: BCD date %04d-%02d-%02d (host %04d-%02d-%02d), status B %#x",
		   year, mon, day, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		   m.data[D_RTC_B]);
	machine_free(&m);
}

int main(void)
{
	struct sigaction sa;

	vmm_close(test_open_dev());	/* skips without the device */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	tap_plan(3 + 2 + 2 + 3 + 1);
	/* 1193 = 1 kHz, 11932 = 100 Hz, 30 = about 40 kHz. */
	test_ticks("sti;hlt at 100 Hz", 11932, 100, 0, true);
	test_ticks("spinning at 1 kHz", 1193, 200, 1, false);
	test_ticks("storm at 40 kHz, halting", 30, 3000, 0, false);
	test_echo();
	test_cmos();
	return tap_finish();
}
