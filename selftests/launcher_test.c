// SPDX-License-Identifier: GPL-2.0
/*
 * launcher_test: a tiny launcher written only against libvmm's public
 * header (vmm.h), running every example guest and checking its UART
 * output and how it stopped; then four spinning vCPU threads stopped by
 * SIGINT (through a signal handler calling vmm_vm_stop) and by another
 * thread.  TAP by hand: no test library.
 *
 * The guests come from $VMM_GUESTS, else from guests/ next to this
 * program.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

#define MMIO_BASE	0xd0000000ULL

static int ntest, nfail;
static char guest_dir[4096];
static struct vmm_vm *volatile sig_vm;

static void tap(int ok, const char *directive, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tap(int ok, const char *directive, const char *fmt, ...)
{
	va_list ap;

	ntest++;
	if (!ok && !directive)
		nfail++;
	printf("%s %d ", ok ? "ok" : "not ok", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (directive)
		printf(" # %s", directive);
	printf("\n");
	fflush(stdout);
}

/* The example MMIO device of libvmm(3): ID, ACC, ADD. */
struct mdev {
	uint64_t acc;
};

static int mdev_io(void *opaque, const struct vmm_access *a)
{
	struct mdev *d = opaque;
	uint64_t v = 0;

	if (a->is_write) {
		for (uint32_t i = a->len; i-- > 0;)
			v = (v << 8) | a->data[i];
		if (a->offset == 8)
			d->acc = v;
		else if (a->offset == 16)
			d->acc += v;
		return 0;
	}
	v = a->offset == 0 ? 0x444d4d56 : a->offset == 8 ? d->acc : 0;
	for (uint32_t i = 0; i < a->len; i++, v >>= 8)
		a->data[i] = (uint8_t)v;
	return 0;
}

struct run_result {
	struct vmm_stop stop;
	char out[4096];
	int err;
};

/*
 * Boot image in a new VM with ncpu vCPUs, a UART whose output goes to a
 * memfd, the debug-exit port and the MMIO device; run to the end.
 */
static int launch(struct vmm_dev *dev, const char *image, unsigned int ncpu,
		  const char *cmdline, struct run_result *r)
{
	struct vmm_load_params lp = { .format = VMM_IMAGE_AUTO,
				      .flat_mode = VMM_MODE_REAL,
				      .cmdline = cmdline };
	struct mdev mdev = { 0 };
	struct vmm_uart *uart = NULL;
	struct vmm_vm *vm = NULL;
	struct vmm_boot boot;
	int out, ret;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	out = memfd_create("uart", 0);
	if (out < 0)
		return -errno;
	ret = vmm_vm_create(dev, &vm);
	if (!ret)
		ret = vmm_mem_add(vm, 0, 0, 32 << 20, 0, NULL);
	if (!ret) {
		ret = vmm_image_load_file(vm, image, &lp, &boot);
		if (ret)
			printf("# load: %s\n", boot.error);
	}
	for (unsigned int i = 0; !ret && i < ncpu; i++) {
		struct vmm_vcpu *vcpu;

		ret = vmm_vcpu_create(vm, i, &vcpu);
		if (!ret)
			ret = vmm_vcpu_setup_cpuid(vcpu, NULL, 0);
		if (!ret)
			ret = vmm_vcpu_boot(vcpu, &boot);
	}
	if (!ret)
		ret = vmm_uart_create(-1, out, &uart);
	if (!ret)
		ret = vmm_uart_attach(uart, vmm_vm_bus(vm, VMM_BUS_PIO),
				      VMM_UART_COM1);
	if (!ret)
		ret = vmm_debug_exit_attach(vmm_vm_bus(vm, VMM_BUS_PIO),
					    VMM_DEBUG_EXIT_PORT);
	if (!ret)
		ret = vmm_register_mmio(vm, MMIO_BASE, 0x1000, mdev_io, &mdev);
	if (!ret)
		ret = vmm_vm_run(vm, 0, &r->stop);
	vmm_vm_destroy(vm);
	vmm_uart_free(uart);
	n = pread(out, r->out, sizeof(r->out) - 1, 0);
	if (n > 0)
		r->out[n] = '\0';
	close(out);
	r->err = ret;
	printf("# %s: err %d, stop %s code %" PRId64 " vcpu %d rip %#" PRIx64
	       " exit %s\n", image, ret, vmm_stop_reason_name(r->stop.reason),
	       r->stop.code, r->stop.vcpu_id, r->stop.rip, r->stop.exit);
	{
		char copy[sizeof(r->out)];

		memcpy(copy, r->out, sizeof(copy));
		for (char *l = strtok(copy, "\r\n"); l;
		     l = strtok(NULL, "\r\n"))
			printf("#   | %s\n", l);
	}
	return ret;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static char *guest(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", guest_dir, name);
	return path;
}

/* ---- stopping 4 spinning vCPUs ---- */

static void on_sigint(int sig)
{
	(void)sig;
	if (sig_vm)
		vmm_vm_stop(sig_vm, VMM_STOP_REQUEST, 130);
}

struct stopper {
	struct vmm_vm *vm;
	int use_signal;
};

static void *stopper_thread(void *arg)
{
	struct stopper *s = arg;

	sleep(1);
	if (s->use_signal)
		kill(getpid(), SIGINT);	/* the handler runs on the main thread */
	else
		vmm_vm_stop(s->vm, VMM_STOP_REQUEST, 7);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_stop(struct vmm_dev *dev, int use_signal)
{
	/*
	 * sti; jmp .  -- with IF clear, Bochs 2.7 never takes the VM exit for
	 * a host interrupt (the SDM says IF does not matter under external-
	 * interrupt exiting; kvm_intel hangs the same way there), so the
	 * guest enables interrupts to keep the emulated host alive.
	 */
	static const uint8_t spin[] = { 0xfb, 0xeb, 0xfe };
	struct vmm_load_params lp = { .format = VMM_IMAGE_FLAT,
				      .flat_mode = VMM_MODE_LONG64 };
	struct stopper s = { NULL, use_signal };
	struct vmm_boot boot;
	struct vmm_stop st;
	struct vmm_vm *vm;
	struct sigaction sa;
	sigset_t block, old;
	pthread_t t;
	double t0, dt;
	int ret;

	ret = vmm_vm_create(dev, &vm);
	if (!ret)
		ret = vmm_mem_add(vm, 0, 0, 4 << 20, 0, NULL);
	if (!ret)
		ret = vmm_image_load(vm, spin, sizeof(spin), &lp, &boot);
	for (unsigned int i = 0; !ret && i < 4; i++) {
		struct vmm_vcpu *vcpu;

		ret = vmm_vcpu_create(vm, i, &vcpu);
		if (!ret)
			ret = vmm_vcpu_setup_cpuid(vcpu, NULL, 0);
		if (!ret)
			ret = vmm_vcpu_boot(vcpu, &boot);
	}
	if (ret) {
		tap(0, NULL, "4 vCPUs stopped by %s: setup failed: %s",
		    use_signal ? "SIGINT" : "another thread", strerror(-ret));
		vmm_vm_destroy(vm);
		return;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sig_vm = vm;
	s.vm = vm;
	/* The stopper thread must not take the SIGINT itself. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_create(&t, NULL, stopper_thread, &s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	t0 = now();
	ret = vmm_vm_run(vm, 0, &st);
	dt = now() - t0;
	pthread_join(t, NULL);
	sig_vm = NULL;
	signal(SIGINT, SIG_DFL);
	printf("# run %d, stop %s code %" PRId64 " after %.2f s\n", ret,
	       vmm_stop_reason_name(st.reason), st.code, dt);
	tap(ret == 0 && st.reason == VMM_STOP_REQUEST &&
	    st.code == (use_signal ? 130 : 7) && dt < 20,
	    NULL, "4 spinning vCPU threads stop cleanly on %s",
	    use_signal ? "SIGINT (vmm_vm_stop in the handler)" :
			 "vmm_vm_stop from another thread");
	tap(vmm_vm_stop(vm, VMM_STOP_REQUEST, 1) == -EALREADY, NULL,
	    "a second stop is refused with -EALREADY");
	vmm_vm_destroy(vm);
}

int main(int argc, char **argv)
{
	struct run_result r;
	struct vmm_dev *dev;
	const char *env = getenv("VMM_GUESTS");
	const char *path = getenv("VMM_DEVICE");
	char self[4096];
	int ret;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env) {
		snprintf(guest_dir, sizeof(guest_dir), "%s", env);
	} else {
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(guest_dir, sizeof(guest_dir), "%s/guests",
			 dirname(self));
	}
	printf("TAP version 13\n");
	ret = vmm_open(path, &dev);
	if (ret) {
		printf("1..0 # SKIP cannot open %s: %s\n",
		       path ? path : VMM_DEFAULT_DEVICE, strerror(-ret));
		return 4;
	}
	if (access(guest("hello-real.bin"), R_OK)) {
		printf("1..0 # SKIP no example guests in %s\n", guest_dir);
		return 4;
	}
	printf("1..9\n");

	launch(dev, guest("hello-real.bin"), 1, NULL, &r);
	tap(!r.err && r.stop.reason == VMM_STOP_HALT &&
	    strstr(r.out, "Hello from real mode"), NULL,
	    "hello-real: greeting on the UART, then every vCPU halted");

	launch(dev, guest("hello-real.bin"), 2, NULL, &r);
	tap(!r.err && r.stop.reason == VMM_STOP_HALT &&
	    count(r.out, "H") == 2, NULL,
	    "hello-real on 2 vCPU threads: two greetings (the H of each), halted");

	launch(dev, guest("multiboot.elf"), 1, "launcher", &r);
	tap(!r.err && r.stop.reason == VMM_STOP_DEBUG_EXIT && r.stop.code == 0 &&
	    strstr(r.out, "eax 0x2badb002") && strstr(r.out, "cmdline \"launcher\""),
	    NULL, "multiboot: magic and info seen, debug-exit 0");

	launch(dev, guest("mmio64.elf"), 1, NULL, &r);
	tap(!r.err && r.stop.reason == VMM_STOP_DEBUG_EXIT &&
	    r.stop.code == 42 && strstr(r.out, "40 + 2 = 42"), NULL,
	    "mmio64: MMIO device computes 42, debug-exit 42");

	{
		/* Debug-exit RIP: right after the OUT in the guest. */
		launch(dev, guest("multiboot.elf"), 1, NULL, &r);
		tap(r.stop.vcpu_id == 0 && r.stop.rip >= 0x100000 &&
		    r.stop.rip < 0x110000 && strstr(r.stop.exit, "port 0xf4"),
		    NULL, "the stop record has the vCPU, its RIP and the exit");
	}

	spin_stop(dev, 1);
	spin_stop(dev, 0);

	vmm_close(dev);
	printf("# %d tests, %d failed\n", ntest, nfail);
	return nfail ? 1 : 0;
}
