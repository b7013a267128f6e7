// driver_device_inversion.c - probe() locks a driver, then a device;
// unplug() locks a device, then its driver: a deadlock waiting to happen,
// in a run where the two never touch the same pair.
//
// Two kinds of locks, each made at one place: every driver's mutex by
// driver_init(), every device's by device_init().  probe(drv, dev) takes the
// driver's lock, then the device's; unplug(dev, drv) takes the device's,
// then the driver's.  In this run one thread probes the usb driver's device
// while another unplugs the sound card from its driver: four different
// locks, no cycle among them, so the run cannot hang.  But the day a device
// is unplugged while its driver probes it, each thread holds one lock and
// waits for the other: deadlock.  Nothing orders the two kinds: drivers are
// made first, so in probe() the outer lock is the older one, in unplug() the
// younger.  One lock-order-inversion, predicted from the two classes.
//
// Correct twin: driver_device_ordered.c (unplug() also locks the driver
// first).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: predicted cycle among locks made at 2 places
// concwatch-expect-text: driver_device_inversion\.c:@line(device)\b
// concwatch-expect-text: driver_device_inversion\.c:@line(driver)\b

#include <pthread.h>
#include <stdio.h>

struct driver {
    pthread_mutex_t lock;
    int bound;
};

struct device {
    pthread_mutex_t lock;
    struct driver *driver;
};

static struct driver drivers[2];   /* usb, sound */
static struct device devices[2];   /* a usb stick, a sound card */

static void driver_init(struct driver *d)
{
    pthread_mutex_init(&d->lock, NULL);
}

static void device_init(struct device *d)
{
    pthread_mutex_init(&d->lock, NULL);
}

static void probe(struct driver *drv, struct device *dev)
{
    pthread_mutex_lock(&drv->lock);
    pthread_mutex_lock(&dev->lock); /* @device */
    if (!dev->driver) {
        dev->driver = drv;
        drv->bound++;
    }
    pthread_mutex_unlock(&dev->lock);
    pthread_mutex_unlock(&drv->lock);
}

static void unplug(struct device *dev, struct driver *drv)
{
    pthread_mutex_lock(&dev->lock);
    pthread_mutex_lock(&drv->lock); /* @driver */
    if (dev->driver == drv) {
        dev->driver = NULL;
        drv->bound--;
    }
    pthread_mutex_unlock(&drv->lock);
    pthread_mutex_unlock(&dev->lock);
}

static void *usb_hub(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        probe(&drivers[0], &devices[0]);
    return NULL;
}

static void *sound_hotplug(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        unplug(&devices[1], &drivers[1]);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    for (int i = 0; i < 2; i++)
        driver_init(&drivers[i]);
    for (int i = 0; i < 2; i++)
        device_init(&devices[i]);
    devices[1].driver = &drivers[1];
    drivers[1].bound = 1;
    if (pthread_create(&a, NULL, usb_hub, NULL) != 0 || pthread_create(&b, NULL, sound_hotplug, NULL) != 0)
        return 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("usb driver: %d device(s), sound driver: %d device(s)\n", drivers[0].bound, drivers[1].bound);
    return 0;
}
