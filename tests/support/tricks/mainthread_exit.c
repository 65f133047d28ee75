/* LD_PRELOAD trick: run main() in a new thread and end the first thread with
 * pthread_exit(), so /proc/PID shows a zombie leader while the program runs on. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                        void (*)(void), void *);

static main_fn real_main;
static int saved_argc;
static char **saved_argv;
static char **saved_envp;

static void *run_main(void *unused) {
    (void)unused;
    exit(real_main(saved_argc, saved_argv, saved_envp));
}

static int fake_main(int argc, char **argv, char **envp) {
    pthread_t thread;
    saved_argc = argc;
    saved_argv = argv;
    saved_envp = envp;
    if (pthread_create(&thread, NULL, run_main, NULL) != 0)
        return real_main(argc, argv, envp);
    pthread_exit(NULL);
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
    start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    real_main = main;
    return real(fake_main, argc, argv, init, fini, rtld_fini, stack_end);
}
