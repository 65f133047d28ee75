/* A game that ignores SIGTERM and re-forks every half second: each pid lives 0.5 s,
 * so a kill sent to a pid after a grace finds it gone. */
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec half = {0, 500000000L};
    int seconds = argc > 1 ? atoi(argv[1]) : 600;
    int rounds = seconds * 2;
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    while (rounds-- > 0) {
        nanosleep(&half, NULL);
        pid_t child = fork();
        if (child > 0)
            _exit(0); /* the parent leaves; the child carries on */
    }
    return 0;
}
