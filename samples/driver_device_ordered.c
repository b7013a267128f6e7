// driver_device_ordered.c - probe() and unplug() both lock the driver, then
// the device: correct twin of driver_device_inversion.c.
//
// One order between the two kinds of locks, whichever operation runs: a
// device can be unplugged while its driver probes it and neither waits for
// the other for ever.  Every nesting of a driver's and a device's lock in
// the run puts the device's inside the driver's: concwatch predicts nothing.
//
// concwatch-expect: clean

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
    pthread_mutex_lock(&dev->lock);
    if (!dev->driver) {
        dev->driver = drv;
        drv->bound++;
    }
    pthread_mutex_unlock(&dev->lock);
    pthread_mutex_unlock(&drv->lock);
}

static void unplug(struct device *dev, struct driver *drv)
{
    pthread_mutex_lock(&drv->lock);
    pthread_mutex_lock(&dev->lock);
    if (dev->driver == drv) {
        dev->driver = NULL;
        drv->bound--;
    }
    pthread_mutex_unlock(&dev->lock);
    pthread_mutex_unlock(&drv->lock);
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
