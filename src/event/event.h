/*
 * The event loop of a scs process: a thin wrapper over libevent so that only
 * this directory includes <event2/...> (style.md §4.3).  One loop per
 * process, single-threaded; file-descriptor watchers and one-shot timers.
 * Names carry the scs_event_ prefix because libevent owns event_*.
 */
#ifndef SCS_EVENT_EVENT_H
#define SCS_EVENT_EVENT_H

struct scs_event_loop;
struct scs_event_io;
struct scs_event_timer;

#define SCS_EVENT_READ  1u
#define SCS_EVENT_WRITE 2u

typedef void (*scs_event_io_fn)(int fd, unsigned what, void *arg);
typedef void (*scs_event_timer_fn)(void *arg);

int scs_event_loop_new(struct scs_event_loop **out);
/* A new event_base with the project's settings (every base is made here). */
struct event_base *scs_event_base_new(void);
/* Wrap an event_base the caller already runs (scsd's composition root); the
 * base is borrowed and scs_event_loop_free() leaves it alone. */
struct event_base;
int scs_event_loop_wrap(struct event_base *base, struct scs_event_loop **out);
/* Free the loop; every watcher and timer must have been freed before. */
void scs_event_loop_free(struct scs_event_loop *l);
/* Run until nothing is pending or scs_event_loop_break() is called. */
int scs_event_loop_run(struct scs_event_loop *l);
/* Run one pass, blocking until at least one event fired. */
int scs_event_loop_run_once(struct scs_event_loop *l);
void scs_event_loop_break(struct scs_event_loop *l);

/* Watch fd; nothing is watched until scs_event_io_set() names READ and/or WRITE. */
int scs_event_io_new(struct scs_event_loop *l, int fd, scs_event_io_fn cb, void *arg,
                     struct scs_event_io **out);
/* Watch for what (SCS_EVENT_READ | SCS_EVENT_WRITE); 0 stops watching. */
int scs_event_io_set(struct scs_event_io *io, unsigned what);
void scs_event_io_free(struct scs_event_io *io);

int scs_event_timer_new(struct scs_event_loop *l, scs_event_timer_fn cb, void *arg,
                        struct scs_event_timer **out);
/* (Re)arm to fire once after ms milliseconds (0: on the next loop pass). */
int scs_event_timer_arm(struct scs_event_timer *t, long ms);
void scs_event_timer_disarm(struct scs_event_timer *t);
void scs_event_timer_free(struct scs_event_timer *t);

#endif
