// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the PC machine: the device models wired as on a PC, interrupt
 * delivery to vCPU 0, and the thread that runs the timers and reads the
 * console.
 *
 * Locking: pc->lock serialises every device model.  The port handlers
 * the machine registers on the VM's bus take it around the access, the
 * thread takes it around timer updates and console input, and the
 * interrupt hooks take it to read and acknowledge the PIC.  The models'
 * notifications run with it held and only signal: the eventfd (a
 * deadline or the input state changed) or, when the PIC's output rises,
 * the condition variable a halted vCPU sleeps on and a kick of vCPU 0.
 *
 * Interrupt delivery follows the protocol for an interrupt controller in
 * userspace: before each VMM_RUN of vCPU 0, if the PIC requests an
 * interrupt and the last exit said the vCPU is ready, acknowledge it and
 * VMM_INTERRUPT its vector; if it is not ready, request an interrupt
 * window.  A kick (immediate_exit and the kick signal) brings a running
 * vCPU back to that point when a request appears.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define PC_IRQ_PIT	0
#define PC_IRQ_COM1	4
#define PC_IRQ_RTC	8

/* A halted vCPU re-checks for a stop this often (ms). */
#define PC_HALT_POLL_MS	100
/* Input that epoll cannot watch (a regular file) is read this often. */
#define PC_FILE_POLL_MS	10

/* The ports the machine's devices answer, all behind pc->lock. */
static const struct {
	uint16_t base, len;
} pc_ports[] = {
	{ 0x20, 2 },	/* master PIC */
	{ 0x40, 4 },	/* PIT */
	{ 0x60, 1 },	/* i8042 data */
	{ 0x61, 1 },	/* system control port B (PIT channel 2) */
	{ 0x64, 1 },	/* i8042 status/command */
	{ 0x70, 2 },	/* RTC/CMOS */
	{ 0x80, 1 },	/* POST codes */
	{ 0x92, 1 },	/* system control port A */
	{ 0xa0, 2 },	/* slave PIC */
	{ VMM_UART_COM1, 8 },
	{ 0x4d0, 2 },	/* ELCR */
	{ 0xcf8, 8 },	/* PCI configuration mechanism 1, reset control */
};

struct vmm_pc {
	struct vmm_vm *vm;
	pthread_mutex_t lock;
	pthread_cond_t irq_cond;	/* the PIC's output rose */
	struct vmm_bus *bus;		/* the devices, behind pc->lock */
	struct vmm_pic *pic;
	struct vmm_pit *pit;
	struct vmm_rtc *rtc;
	struct vmm_uart *uart;
	struct vmm_pc_misc *misc;
	size_t nports;			/* pc_ports registered on the VM */

	int in_fd;			/* console input, -1 if none */
	bool in_eof;
	bool in_watched;		/* in_fd is in the epoll set */
	bool in_file;			/* epoll cannot watch in_fd */
	int efd, tfd, epfd;
	int quit;			/* (atomic) the thread must end */
	pthread_t thread;
	bool thread_live;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void wake_thread(void *opaque)
{
	struct vmm_pc *pc = opaque;
	uint64_t one = 1;

	if (write(pc->efd, &one, sizeof(one)) < 0) {
		/* The counter is full: the thread is awake anyway. */
	}
}

static struct vmm_vcpu *boot_vcpu(struct vmm_pc *pc)
{
	struct vmm_vcpu *v;

	for (v = pc->vm->vcpus; v; v = v->next)
		if (v->id == 0)
			return v;
	return NULL;
}

/* The PIC's output may have risen: wake or kick vCPU 0. */
static void irq_raised(void *opaque)
{
	struct vmm_pc *pc = opaque;
	struct vmm_vcpu *v = boot_vcpu(pc);

	pthread_cond_broadcast(&pc->irq_cond);
	if (v)
		vmm_vcpu_kick(v);
}

static int pc_io(void *opaque, const struct vmm_access *acc)
{
	struct vmm_pc *pc = opaque;
	int ret;

	pthread_mutex_lock(&pc->lock);
	ret = vmm_bus_access(pc->bus, acc->vcpu, acc->addr, acc->data,
			     acc->len, acc->is_write);
	pthread_mutex_unlock(&pc->lock);
	return ret;
}

/* ---- interrupt delivery (vCPU 0's thread) ---- */

static int pc_prepare(void *opaque, struct vmm_vcpu *vcpu)
{
	struct vmm_pc *pc = opaque;
	struct vmm_run *run = vcpu->run;
	struct vmm_interrupt irq;
	int pending;

	if (vcpu->id != 0)
		return 0;
	pthread_mutex_lock(&pc->lock);
	pending = vmm_pic_output(pc->pic);
	if (pending && run->ready_for_interrupt_injection) {
		irq.irq = (uint32_t)vmm_pic_ack(pc->pic);
		pending = vmm_pic_output(pc->pic);
		pthread_mutex_unlock(&pc->lock);
		run->request_interrupt_window = (uint8_t)pending;
		long ret = vmm__ioctl(vcpu->fd, VMM_INTERRUPT, &irq);

		return ret < 0 ? (int)ret : 0;
	}
	pthread_mutex_unlock(&pc->lock);
	run->request_interrupt_window = (uint8_t)pending;
	return 0;
}

static int pc_halted(void *opaque, struct vmm_vcpu *vcpu)
{
	struct vmm_pc *pc = opaque;
	struct timespec ts;

	/* Only vCPU 0 takes the PIC's interrupts. */
	if (vcpu->id != 0)
		return 0;
	/* An interrupt already queued in the kernel ends the halt. */
	if (!vcpu->run->ready_for_interrupt_injection)
		return 1;
	pthread_mutex_lock(&pc->lock);
	while (!vmm_pic_output(pc->pic) && !vmm_vm_stopped(pc->vm)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += PC_HALT_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pc->irq_cond, &pc->lock, &ts);
	}
	pthread_mutex_unlock(&pc->lock);
	return !vmm_vm_stopped(pc->vm);
}

static const struct vmm_intc_ops pc_intc = {
	.prepare = pc_prepare,
	.halted = pc_halted,
};

/* ---- the machine's thread: timers and console input ---- */

/* The next device deadline on CLOCK_MONOTONIC, or VMM_DEADLINE_NONE. */
static uint64_t next_deadline(struct vmm_pc *pc)
{
	uint64_t dl = vmm_pit_deadline(pc->pit);
	uint64_t rtc = vmm_rtc_deadline(pc->rtc);

	if (rtc != VMM_DEADLINE_NONE) {
		/* The RTC runs on the wall clock. */
		uint64_t wall = clock_ns(CLOCK_REALTIME);
		uint64_t mono = clock_ns(CLOCK_MONOTONIC);

		rtc = rtc > wall ? mono + (rtc - wall) : mono;
		if (rtc < dl)
			dl = rtc;
	}
	return dl;
}

static void arm_timer(struct vmm_pc *pc, uint64_t dl)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (dl != VMM_DEADLINE_NONE) {
		/* An all-zero value would disarm it. */
		if (!dl)
			dl = 1;
		its.it_value.tv_sec = (time_t)(dl / 1000000000ULL);
		its.it_value.tv_nsec = (long)(dl % 1000000000ULL);
	}
	timerfd_settime(pc->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void watch_input(struct vmm_pc *pc, bool want)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = pc->in_fd };

	if (want == pc->in_watched || pc->in_file)
		return;
	if (!want) {
		epoll_ctl(pc->epfd, EPOLL_CTL_DEL, pc->in_fd, NULL);
		pc->in_watched = false;
		return;
	}
	if (epoll_ctl(pc->epfd, EPOLL_CTL_ADD, pc->in_fd, &ev) == 0)
		pc->in_watched = true;
	else if (errno == EPERM)
		pc->in_file = true;	/* a regular file: always readable */
	else
		pc->in_eof = true;
}

static void read_input(struct vmm_pc *pc)
{
	if (vmm_uart_poll_input(pc->uart) < 0)
		pc->in_eof = true;
}

static void *pc_thread(void *arg)
{
	struct vmm_pc *pc = arg;
	struct epoll_event ev[4];
	uint64_t buf;

	while (!__atomic_load_n(&pc->quit, __ATOMIC_ACQUIRE)) {
		bool want_in, poll_file;
		uint64_t dl;
		int n;

		pthread_mutex_lock(&pc->lock);
		vmm_pit_update(pc->pit);
		vmm_rtc_update(pc->rtc);
		want_in = pc->in_fd >= 0 && !pc->in_eof &&
			  vmm_uart_input_room(pc->uart);
		if (want_in && pc->in_file)
			read_input(pc);
		dl = next_deadline(pc);
		pthread_mutex_unlock(&pc->lock);

		arm_timer(pc, dl);
		watch_input(pc, want_in && !pc->in_eof);
		poll_file = want_in && pc->in_file && !pc->in_eof;
		n = epoll_wait(pc->epfd, ev, 4, poll_file ? PC_FILE_POLL_MS : -1);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == pc->efd) {
				if (read(pc->efd, &buf, sizeof(buf)) < 0)
					continue;
			} else if (ev[i].data.fd == pc->tfd) {
				if (read(pc->tfd, &buf, sizeof(buf)) < 0)
					continue;
			} else if (ev[i].data.fd == pc->in_fd) {
				pthread_mutex_lock(&pc->lock);
				read_input(pc);
				pthread_mutex_unlock(&pc->lock);
			}
		}
	}
	return NULL;
}

/* ---- CPUID ---- */

#define CPUID_TSC_LEAF		0x15
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_EDX_HTT		(1U << 28)
#define CPUID_1_ECX_DEADLINE	(1U << 24)

/*
 * One core with one thread, whatever the host's topology: the legacy
 * count in leaf 1 (and no HTT), the cores and cache sharers of leaf 4,
 * and one SMT and one core level in leaves 0xb and 0x1f.  Linux 6.12
 * WARNs at boot when leaf 1 counts fewer logical CPUs than leaf 4 cores.
 */
static void one_cpu_topology(const struct vmm_cpuid2 *list,
			     struct vmm_cpuid_entry2 *ov, size_t *n)
{
	for (uint32_t i = 0; i < list->nent; i++) {
		struct vmm_cpuid_entry2 e = list->entries[i];

		switch (e.function) {
		case 4:
			e.eax &= ~(0x3fU << 26 | 0xfffU << 14);
			break;
		case 0xb:
		case 0x1f:
			/* Level 0 SMT (type 1), level 1 core (type 2). */
			e.eax = 0;
			e.ebx = e.index < 2;
			e.ecx = e.index;
			if (e.index < 2)
				e.ecx |= (e.index + 1) << 8;
			break;
		default:
			continue;
		}
		ov[(*n)++] = e;
	}
}

int vmm_pc_setup_cpuid(struct vmm_vcpu *vcpu)
{
	struct vmm_cpuid_entry2 *ov, *e;
	struct vmm_cpuid2 *list;
	size_t n = 0;
	long khz;
	int ret;

	if (!vcpu)
		return -EINVAL;
	ret = vmm_get_supported_cpuid(vcpu->vm->dev, &list);
	if (ret)
		return ret;
	ov = calloc(list->nent + 2, sizeof(*ov));
	if (!ov) {
		free(list);
		return -ENOMEM;
	}

	/*
	 * No local APIC, so none of its modes or timers either; one logical
	 * CPU in the package.
	 */
	e = vmm_cpuid_find(list, 1, 0);
	if (e) {
		ov[n] = *e;
		ov[n].edx &= ~(1U << 9 | CPUID_1_EDX_HTT);
		ov[n].ecx &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_DEADLINE);
		ov[n].ebx = (ov[n].ebx & ~(0xffU << 16)) | 1U << 16;
		n++;
	}
	one_cpu_topology(list, ov, &n);

	/*
	 * The TSC frequency in leaf 0x15 (crystal 1 MHz times khz / 1000),
	 * so the kernel knows it instead of calibrating against the PIT.
	 */
	khz = vmm__ioctl(vcpu->fd, VMM_GET_TSC_KHZ, NULL);
	e = vmm_cpuid_find(list, 0, 0);
	if (khz > 0 && e) {
		ov[n] = *e;
		if (ov[n].eax < CPUID_TSC_LEAF)
			ov[n].eax = CPUID_TSC_LEAF;
		n++;
		memset(&ov[n], 0, sizeof(ov[n]));
		ov[n].function = CPUID_TSC_LEAF;
		ov[n].eax = 1000;
		ov[n].ebx = (uint32_t)khz;
		ov[n].ecx = 1000000;
		n++;
	}
	free(list);
	ret = vmm_vcpu_setup_cpuid(vcpu, ov, n);
	free(ov);
	return ret;
}

/* ---- creation ---- */

void vmm_pc_free(struct vmm_pc *pc)
{
	struct vmm_bus *vmbus;

	if (!pc)
		return;
	if (pc->thread_live) {
		__atomic_store_n(&pc->quit, 1, __ATOMIC_RELEASE);
		wake_thread(pc);
		pthread_join(pc->thread, NULL);
	}
	vmm_vm_set_intc(pc->vm, NULL, NULL);
	vmbus = vmm_vm_bus(pc->vm, VMM_BUS_PIO);
	for (size_t i = 0; vmbus && i < pc->nports; i++)
		vmm_bus_unregister(vmbus, pc_ports[i].base);
	vmm_pc_misc_free(pc->misc);
	vmm_uart_free(pc->uart);
	vmm_rtc_free(pc->rtc);
	vmm_pit_free(pc->pit);
	vmm_pic_free(pc->pic);
	vmm_bus_free(pc->bus);
	if (pc->epfd >= 0)
		close(pc->epfd);
	if (pc->tfd >= 0)
		close(pc->tfd);
	if (pc->efd >= 0)
		close(pc->efd);
	pthread_cond_destroy(&pc->irq_cond);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

static int add_fd(struct vmm_pc *pc, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(pc->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* The devices on the private bus, wired to the PIC. */
static int pc_devices(struct vmm_pc *pc, const struct vmm_pc_config *cfg)
{
	int ret;

	ret = vmm_bus_create(VMM_BUS_PIO, &pc->bus);
	if (!ret)
		ret = vmm_pic_create(&pc->pic);
	if (!ret)
		ret = vmm_pit_create(NULL, NULL, &pc->pit);
	if (!ret)
		ret = vmm_rtc_create(NULL, NULL, &pc->rtc);
	if (!ret)
		ret = vmm_uart_create(cfg->in_fd, cfg->out_fd, &pc->uart);
	if (ret)
		return ret;

	vmm_pic_set_notify(pc->pic, irq_raised, pc);
	vmm_pit_set_irq(pc->pit, vmm_pic_set_irq, pc->pic, PC_IRQ_PIT);
	vmm_pit_set_notify(pc->pit, wake_thread, pc);
	vmm_rtc_set_irq(pc->rtc, vmm_pic_set_irq, pc->pic, PC_IRQ_RTC);
	vmm_rtc_set_notify(pc->rtc, wake_thread, pc);
	vmm_rtc_set_memory(pc->rtc, cfg->mem_below_4g, cfg->mem_above_4g);
	vmm_uart_set_irq(pc->uart, vmm_pic_set_irq, pc->pic, PC_IRQ_COM1);
	vmm_uart_set_notify(pc->uart, wake_thread, pc);

	ret = vmm_pic_attach(pc->pic, pc->bus);
	if (!ret)
		ret = vmm_pit_attach(pc->pit, pc->bus);
	if (!ret)
		ret = vmm_rtc_attach(pc->rtc, pc->bus);
	if (!ret)
		ret = vmm_uart_attach(pc->uart, pc->bus, VMM_UART_COM1);
	if (!ret)
		ret = vmm_pc_misc_attach(pc->bus, &pc->misc);
	return ret;
}

int vmm_pc_create(struct vmm_vm *vm, const struct vmm_pc_config *cfg,
		  struct vmm_pc **pcp)
{
	pthread_condattr_t cattr;
	struct vmm_bus *vmbus;
	sigset_t all, old;
	struct vmm_pc *pc;
	int ret;

	if (!vm || !cfg || !pcp)
		return -EINVAL;
	vmbus = vmm_vm_bus(vm, VMM_BUS_PIO);
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->vm = vm;
	pc->in_fd = cfg->in_fd;
	pc->efd = pc->tfd = pc->epfd = -1;
	pthread_mutex_init(&pc->lock, NULL);
	/* pc_halted's deadlines are on the monotonic clock. */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&pc->irq_cond, &cattr);
	pthread_condattr_destroy(&cattr);

	ret = pc_devices(pc, cfg);
	if (ret)
		goto fail;
	for (; pc->nports < sizeof(pc_ports) / sizeof(pc_ports[0]);
	     pc->nports++) {
		ret = vmm_bus_register(vmbus, pc_ports[pc->nports].base,
				       pc_ports[pc->nports].len, pc_io, pc);
		if (ret)
			goto fail;
	}

	pc->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pc->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	pc->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pc->efd < 0 || pc->tfd < 0 || pc->epfd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = add_fd(pc, pc->efd);
	if (!ret)
		ret = add_fd(pc, pc->tfd);
	if (ret)
		goto fail;

	vmm_vm_set_intc(vm, &pc_intc, pc);
	/* Signals are for the caller's threads and the vCPUs' kicks. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&pc->thread, NULL, pc_thread, pc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto fail;
	pc->thread_live = true;
	*pcp = pc;
	return 0;
fail:
	vmm_pc_free(pc);
	return ret;
}

struct vmm_pic *vmm_pc_pic(struct vmm_pc *pc)
{
	return pc->pic;
}

struct vmm_uart *vmm_pc_uart(struct vmm_pc *pc)
{
	return pc->uart;
}
