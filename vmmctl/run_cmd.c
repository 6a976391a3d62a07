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

#include <sys/stat.h>

#include "args.h"
#include "console.h"
#include "demo_mmio.h"
#include "vmmctl.h"

/* The bytes of an image that format detection looks at. */
#define IMAGE_HEAD	8192

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
	sigaction(SIGHUP, &sa, NULL);
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

/*
 * The exit status for st, and a one-line account on stderr; quit: the
 * stop request came from Ctrl-A x on the console.
 */
static int report(const struct vmm_stop *st, const struct run_opts *o,
		  bool quit)
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
		else if (quit)
			fprintf(stderr,
				"vmmctl: quit from the console: exit status %d\n",
				status);
		else
			fprintf(stderr,
				"vmmctl: stopped by a signal: exit status %d\n",
				status);
		return status;
	case VMM_STOP_RESET:
		status = VMMCTL_EXIT_RESET;
		if (!o->quiet)
			fprintf(stderr,
				"vmmctl: guest reset itself (reboot)%s: exit status %d\n",
				at, status);
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

/*
 * read_file: the first max bytes of the file at path (max 0: all of it,
 * which must then be a regular file) into a new buffer *bufp (free it),
 * *lenp bytes.  0 or -errno.
 */
static int read_file(const char *path, size_t max, void **bufp,
		     size_t *lenp)
{
	size_t size = max, done = 0;
	struct stat sb;
	uint8_t *buf;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!max) {
		if (fstat(fd, &sb) < 0) {
			ret = -errno;
			goto out;
		}
		if (!S_ISREG(sb.st_mode)) {
			ret = -EINVAL;
			goto out;
		}
		if ((uint64_t)sb.st_size >= SIZE_MAX) {
			ret = -EFBIG;
			goto out;
		}
		size = (size_t)sb.st_size;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			free(buf);
			goto out;
		}
		if (!n)
			break;	/* shorter than max, or shrank meanwhile */
		done += (size_t)n;
	}
	*bufp = buf;
	*lenp = done;
out:
	close(fd);
	return ret;
}

/* The format of o->image (detected unless forced).  0 or -errno. */
static int image_format(const struct run_opts *o,
			enum vmm_image_format *fmt)
{
	void *head;
	size_t len;
	int ret;

	ret = read_file(o->image, IMAGE_HEAD, &head, &len);
	if (ret)
		return ret;
	*fmt = run_detect_format(o, head, len);
	free(head);
	return 0;
}

/*
 * The Linux specifics before any VM exists: the command line into
 * cmdline (VMMCTL_CMDLINE_MAX bytes) and the initrd into memory.
 * 0, or -1 after telling the user.
 */
static int linux_prepare(const struct run_opts *o, char *cmdline,
			 void **initrd, size_t *initrd_len)
{
	int ret;

	if (run_linux_cmdline(o->cmdline, cmdline, VMMCTL_CMDLINE_MAX) < 0) {
		fprintf(stderr, "vmmctl run: --cmdline is too long: with vmmctl's defaults the command line must stay below %d bytes\n",
			VMMCTL_CMDLINE_MAX);
		return -1;
	}
	if (!o->initrd)
		return 0;
	ret = read_file(o->initrd, 0, initrd, initrd_len);
	if (ret) {
		fprintf(stderr, "vmmctl: initrd %s: %s\n", o->initrd,
			ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return -1;
	}
	if (!*initrd_len) {
		fprintf(stderr, "vmmctl: initrd %s is empty\n", o->initrd);
		return -1;
	}
	return 0;
}

/*
 * The devices: for Linux the PC machine (*pcp), else a bare UART
 * (*uartp) with the debug-exit port and the example MMIO device.
 * 0 or -errno.
 */
static int attach_devices(struct vmm_vm *vm, bool pc_machine,
			  const struct run_opts *o, int in_fd, int out_fd,
			  struct demo_mmio *demo, struct vmm_pc **pcp,
			  struct vmm_uart **uartp)
{
	struct vmm_bus *pio = vmm_vm_bus(vm, VMM_BUS_PIO);
	int ret;

	if (pc_machine) {
		struct vmm_pc_config cfg = {
			.in_fd = in_fd,
			.out_fd = out_fd,
			.mem_below_4g = o->mem_size,
			.mem_above_4g = 0,
		};

		return vmm_pc_create(vm, &cfg, pcp);
	}
	ret = vmm_uart_create(in_fd, out_fd, uartp);
	if (!ret)
		ret = vmm_uart_attach(*uartp, pio, VMM_UART_COM1);
	if (!ret)
		ret = vmm_debug_exit_attach(pio, VMM_DEBUG_EXIT_PORT);
	if (!ret)
		ret = vmm_register_mmio(vm, VMMCTL_DEMO_MMIO_BASE,
					VMMCTL_DEMO_MMIO_SIZE,
					demo_mmio_handler, demo);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct demo_mmio demo = { 0, 0 };
	struct vmm_load_params lp;
	struct console *cons = NULL;
	struct vmm_uart *uart = NULL;
	struct vmm_dev *dev = NULL;
	struct vmm_vm *vm = NULL;
	struct vmm_pc *pc = NULL;
	enum vmm_image_format fmt;
	struct vmm_boot boot;
	struct vmm_stop st;
	struct run_opts o;
	char err[256];
	char cmdline[VMMCTL_CMDLINE_MAX];
	void *initrd = NULL;
	size_t initrd_len = 0;
	int out_fd = STDOUT_FILENO, in_fd = STDIN_FILENO;
	int ret, status = VMMCTL_EXIT_USAGE;
	bool is_linux;
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
	ret = image_format(&o, &fmt);
	if (ret) {
		fprintf(stderr, "vmmctl: image %s: %s\n", o.image,
			strerror(-ret));
		return VMMCTL_EXIT_USAGE;
	}
	if (run_check_format(&o, fmt, err, sizeof(err))) {
		fprintf(stderr, "vmmctl run: %s; see vmmctl run --help\n", err);
		return VMMCTL_EXIT_USAGE;
	}
	is_linux = fmt == VMM_IMAGE_LINUX;
	if (is_linux && linux_prepare(&o, cmdline, &initrd, &initrd_len))
		return VMMCTL_EXIT_USAGE;

	if (vmmctl_open(path, &dev))
		goto out;
	ret = vmm_vm_create(dev, &vm);
	if (ret) {
		status = vm_create_error(ret, path);
		goto out;
	}
	ret = vmm_mem_add(vm, 0, 0, o.mem_size,
			  o.no_thp ? VMM_MEM_NO_HUGE : 0, NULL);
	if (ret) {
		fprintf(stderr, "vmmctl: cannot allocate %" PRIu64 " MiB of guest memory: %s\n",
			o.mem_size >> 20, strerror(-ret));
		goto out;
	}

	memset(&lp, 0, sizeof(lp));
	lp.format = fmt;	/* what the machine was chosen for */
	lp.flat_mode = o.flat_mode;
	lp.load_addr = o.load_addr;
	lp.cmdline = is_linux ? cmdline : o.cmdline;
	lp.initrd = initrd;
	lp.initrd_len = initrd_len;
	ret = vmm_image_load_file(vm, o.image, &lp, &boot);
	if (ret) {
		fprintf(stderr, "vmmctl: cannot load %s\n", boot.error);
		goto out;
	}

	/*
	 * The CPUID before vmm_vcpu_boot: KVM checks the long-mode bits of
	 * the special registers against the CPUID it was given.  The PC
	 * machine's CPUID has no local APIC and gives the TSC frequency.
	 */
	for (unsigned int i = 0; i < o.cpus; i++) {
		struct vmm_vcpu *vcpu;

		ret = vmm_vcpu_create(vm, i, &vcpu);
		if (ret) {
			fprintf(stderr, "vmmctl: cannot create vCPU %u: %s\n",
				i, strerror(-ret));
			goto out;
		}
		ret = is_linux ? vmm_pc_setup_cpuid(vcpu) :
				 vmm_vcpu_setup_cpuid(vcpu, NULL, 0);
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
	} else {
		ret = console_open(&cons, &in_fd);
		if (ret) {
			fprintf(stderr, "vmmctl: cannot set the console up: %s\n",
				strerror(-ret));
			status = VMMCTL_EXIT_INTERNAL;
			goto out;
		}
	}
	ret = attach_devices(vm, is_linux, &o, in_fd, out_fd, &demo, &pc,
			     &uart);
	if (ret) {
		fprintf(stderr, "vmmctl: cannot set the devices up: %s\n",
			strerror(-ret));
		status = VMMCTL_EXIT_INTERNAL;
		goto out;
	}
	if (o.log_unhandled) {
		vmm_bus_set_log(vmm_vm_bus(vm, VMM_BUS_PIO), stderr);
		vmm_bus_set_log(vmm_vm_bus(vm, VMM_BUS_MMIO), stderr);
	}
	if (o.trace_exits)
		vmm_vm_set_trace(vm, stderr);
	if (o.verbose || (!o.quiet && o.trace_exits))
		fprintf(stderr, "vmmctl: %s: %s image, %s mode, entry %#" PRIx64 ", [%#" PRIx64 ", %#" PRIx64 "), %u vCPU(s), %" PRIu64 " MiB\n",
			o.image, vmm_image_format_name(boot.format),
			vmm_mode_name(boot.mode), boot.entry, boot.low,
			boot.high, o.cpus, o.mem_size >> 20);
	if (o.verbose && is_linux) {
		fprintf(stderr, "vmmctl: kernel command line: %s\n", cmdline);
		if (o.initrd)
			fprintf(stderr, "vmmctl: initrd %s: %zu bytes\n",
				o.initrd, initrd_len);
	}

	running_vm = vm;
	set_handlers();
	ret = console_start(cons, vm);
	if (ret) {
		running_vm = NULL;
		fprintf(stderr, "vmmctl: cannot set the terminal up: %s\n",
			strerror(-ret));
		status = VMMCTL_EXIT_INTERNAL;
		goto out;
	}
	if (o.timeout)
		alarm(o.timeout);
	ret = vmm_vm_run(vm, 0, &st);
	alarm(0);
	running_vm = NULL;
	console_stop(cons);
	if (ret && st.reason == VMM_STOP_NONE) {
		fprintf(stderr, "vmmctl: cannot run the vCPUs: %s\n",
			strerror(-ret));
		status = VMMCTL_EXIT_INTERNAL;
		goto out;
	}
	status = report(&st, &o, console_quit(cons));
out:
	console_stop(cons);
	/* The machine goes while its VM still exists (stopped). */
	vmm_pc_free(pc);
	vmm_vm_destroy(vm);
	vmm_uart_free(uart);
	vmm_close(dev);
	console_close(cons);
	if (o.console && out_fd >= 0 && out_fd != STDOUT_FILENO)
		close(out_fd);
	free(initrd);
	return status;
}
