// SPDX-License-Identifier: GPL-2.0
/*
 * vmmctl run: boot an image in a new VM with the built-in devices and
 * turn the way the guest stopped into an exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "demo_mmio.h"
#include "vmmctl.h"

/* The running VM, for the signal handlers (one per process). */
static struct vmm_vm *volatile running_vm;

static void on_signal(int sig)
{
	struct vmm_vm *vm = running_vm;

	if (vm)
		vmm_vm_stop(vm, VMM_STOP_REQUEST,
			    sig == SIGALRM ? VMMCTL_EXIT_TIMEOUT :
					     VMMCTL_EXIT_SIGNAL);
}

static void set_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

/* "on vcpu0 at rip 0x7c05" (with the linear address when CS has a base). */
static void where(const struct vmm_stop *st, char *buf, size_t len)
{
	if (st->vcpu_id < 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (st->cs_base)
		snprintf(buf, len, " on vcpu%d at rip %#" PRIx64
			 " (linear %#" PRIx64 "), last exit %s",
			 st->vcpu_id, st->rip, st->cs_base + st->rip,
			 st->exit[0] ? st->exit : "?");
	else
		snprintf(buf, len, " on vcpu%d at rip %#" PRIx64
			 ", last exit %s", st->vcpu_id, st->rip,
			 st->exit[0] ? st->exit : "?");
}

/* The exit status for st, and a one-line account on stderr. */
static int report(const struct vmm_stop *st, const struct run_opts *o)
{
	char at[256];
	int status;

	where(st, at, sizeof(at));
	switch (st->reason) {
	case VMM_STOP_HALT:
		status = VMMCTL_EXIT_HALT;
		if (!o->quiet)
			fprintf(stderr, "vmmctl: guest halted%s: exit status %d\n",
				at, status);
		return status;
	case VMM_STOP_DEBUG_EXIT:
		status = (int)((((uint64_t)st->code << 1) | 1) & 0xff);
		if (!o->quiet)
			fprintf(stderr,
				"vmmctl: guest wrote %" PRId64 " (%#" PRIx64 ") to the debug-exit port%s: exit status %d\n",
				st->code, (uint64_t)st->code, at, status);
		return status;
	case VMM_STOP_REQUEST:
		status = (int)st->code;
		if (status == VMMCTL_EXIT_TIMEOUT)
			fprintf(stderr,
				"vmmctl: timeout: the guest ran for %u s without stopping; stopped it: exit status %d\n",
				o->timeout, status);
		else
			fprintf(stderr,
				"vmmctl: stopped by a signal: exit status %d\n",
				status);
		return status;
	case VMM_STOP_SHUTDOWN:
		status = VMMCTL_EXIT_SHUTDOWN;
		fprintf(stderr,
			"vmmctl: guest shut down (triple fault)%s: exit status %d\n",
			at, status);
		return status;
	case VMM_STOP_FAIL_ENTRY:
		status = VMMCTL_EXIT_ENTRY;
		fprintf(stderr,
			"vmmctl: VM entry failed (hardware reason %#" PRIx64 ": invalid guest state)%s: exit status %d\n",
			(uint64_t)st->code, at, status);
		return status;
	case VMM_STOP_INTERNAL_ERROR:
		status = VMMCTL_EXIT_INTERNAL;
		fprintf(stderr,
			"vmmctl: internal error in the hypervisor (%s)%s: exit status %d\n",
			vmm_internal_error_name((uint32_t)st->code), at,
			status);
		return status;
	case VMM_STOP_SYSTEM_EVENT:
		status = VMMCTL_EXIT_INTERNAL;
		fprintf(stderr,
			"vmmctl: system event %" PRId64 "%s: exit status %d\n",
			st->code, at, status);
		return status;
	case VMM_STOP_UNHANDLED:
		status = VMMCTL_EXIT_INTERNAL;
		fprintf(stderr,
			"vmmctl: exit %s that vmmctl does not handle%s: exit status %d\n",
			vmm_exit_reason_name((uint32_t)st->code), at, status);
		return status;
	case VMM_STOP_ERROR:
		status = VMMCTL_EXIT_INTERNAL;
		fprintf(stderr, "vmmctl: running the guest failed: %s%s: exit status %d\n",
			strerror((int)-st->code), at, status);
		return status;
	default:
		status = VMMCTL_EXIT_INTERNAL;
		fprintf(stderr, "vmmctl: the guest stopped for no known reason: exit status %d\n",
			status);
		return status;
	}
}

static int vm_create_error(int err, const char *path)
{
	if (err == -EBUSY)
		fprintf(stderr,
			"vmmctl: cannot create a VM: another hypervisor owns VMX (is kvm_intel loaded? unload it with 'rmmod kvm_intel' and retry)\n");
	else
		fprintf(stderr, "vmmctl: %s: cannot create a VM: %s\n", path,
			strerror(-err));
	return VMMCTL_EXIT_USAGE;
}

int cmd_run(int argc, char **argv)
{
	struct demo_mmio demo = { 0, 0 };
	struct vmm_load_params lp;
	struct vmm_uart *uart = NULL;
	struct vmm_dev *dev = NULL;
	struct vmm_vm *vm = NULL;
	struct vmm_boot boot;
	struct vmm_stop st;
	struct run_opts o;
	char err[256];
	int out_fd = STDOUT_FILENO, in_fd = STDIN_FILENO;
	int ret, status = VMMCTL_EXIT_USAGE;
	const char *path;

	ret = run_parse_args(argc, argv, &o, err, sizeof(err));
	if (ret == 1) {
		fputs(run_usage, stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "vmmctl run: %s; see vmmctl run --help\n", err);
		return VMMCTL_EXIT_USAGE;
	}
	path = o.device ? o.device : vmmctl_device;

	if (access(o.image, R_OK) < 0) {
		fprintf(stderr, "vmmctl: image %s: %s\n", o.image,
			strerror(errno));
		return VMMCTL_EXIT_USAGE;
	}
	if (vmmctl_open(path, &dev))
		return VMMCTL_EXIT_USAGE;
	ret = vmm_vm_create(dev, &vm);
	if (ret) {
		status = vm_create_error(ret, path);
		goto out;
	}
	ret = vmm_mem_add(vm, 0, 0, o.mem_size,
			  o.huge ? VMM_MEM_ALLOC_HUGE : 0, NULL);
	if (ret) {
		fprintf(stderr, "vmmctl: cannot allocate %" PRIu64 " MiB of guest memory: %s\n",
			o.mem_size >> 20, strerror(-ret));
		goto out;
	}

	memset(&lp, 0, sizeof(lp));
	lp.format = o.format;
	lp.flat_mode = o.flat_mode;
	lp.load_addr = o.load_addr;
	lp.cmdline = o.cmdline;
	ret = vmm_image_load_file(vm, o.image, &lp, &boot);
	if (ret) {
		fprintf(stderr, "vmmctl: cannot load %s\n", boot.error);
		goto out;
	}

	for (unsigned int i = 0; i < o.cpus; i++) {
		struct vmm_vcpu *vcpu;

		ret = vmm_vcpu_create(vm, i, &vcpu);
		if (ret) {
			fprintf(stderr, "vmmctl: cannot create vCPU %u: %s\n",
				i, strerror(-ret));
			goto out;
		}
		ret = vmm_vcpu_setup_cpuid(vcpu, NULL, 0);
		if (ret)
			fprintf(stderr, "vmmctl: warning: vCPU %u: cannot set the CPUID: %s\n",
				i, strerror(-ret));
		ret = vmm_vcpu_boot(vcpu, &boot);
		if (ret) {
			fprintf(stderr, "vmmctl: cannot set vCPU %u up in %s mode at %#" PRIx64 ": %s\n",
				i, vmm_mode_name(boot.mode), boot.entry,
				strerror(-ret));
			goto out;
		}
	}

	if (o.console) {
		out_fd = open(o.console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
		if (out_fd < 0) {
			fprintf(stderr, "vmmctl: console %s: %s\n", o.console,
				strerror(errno));
			goto out;
		}
		in_fd = -1;
	}
	if (vmm_uart_create(in_fd, out_fd, &uart) ||
	    vmm_uart_attach(uart, vmm_vm_bus(vm, VMM_BUS_PIO), VMM_UART_COM1) ||
	    vmm_debug_exit_attach(vmm_vm_bus(vm, VMM_BUS_PIO),
				  VMM_DEBUG_EXIT_PORT) ||
	    vmm_register_mmio(vm, VMMCTL_DEMO_MMIO_BASE, VMMCTL_DEMO_MMIO_SIZE,
			      demo_mmio_handler, &demo)) {
		fprintf(stderr, "vmmctl: cannot set the devices up\n");
		status = VMMCTL_EXIT_INTERNAL;
		goto out;
	}
	if (o.log_unhandled) {
		vmm_bus_set_log(vmm_vm_bus(vm, VMM_BUS_PIO), stderr);
		vmm_bus_set_log(vmm_vm_bus(vm, VMM_BUS_MMIO), stderr);
	}
	if (o.trace_exits)
		vmm_vm_set_trace(vm, stderr);
	if (!o.quiet && o.trace_exits)
		fprintf(stderr, "vmmctl: %s: %s image, %s mode, entry %#" PRIx64 ", [%#" PRIx64 ", %#" PRIx64 "), %u vCPU(s), %" PRIu64 " MiB\n",
			o.image, vmm_image_format_name(boot.format),
			vmm_mode_name(boot.mode), boot.entry, boot.low,
			boot.high, o.cpus, o.mem_size >> 20);

	running_vm = vm;
	set_handlers();
	if (o.timeout)
		alarm(o.timeout);
	ret = vmm_vm_run(vm, 0, &st);
	alarm(0);
	running_vm = NULL;
	if (ret && st.reason == VMM_STOP_NONE) {
		fprintf(stderr, "vmmctl: cannot run the vCPUs: %s\n",
			strerror(-ret));
		status = VMMCTL_EXIT_INTERNAL;
		goto out;
	}
	status = report(&st, &o);
out:
	vmm_vm_destroy(vm);
	vmm_uart_free(uart);
	vmm_close(dev);
	if (o.console && out_fd >= 0 && out_fd != STDOUT_FILENO)
		close(out_fd);
	return status;
}
