export { parseSchedule, type Schedule } from './parse-schedule.js';
export { createScheduler, type Scheduler, type SchedulerLogger, type SchedulerOptions } from './scheduler.js';
export { finishedWithin } from './finished-within.js';
