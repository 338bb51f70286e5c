import { PageHeader } from '../components/bits';
export function SchedulesPage(_props: { canAct: boolean }) {
  return <PageHeader title="Schedules" />;
}
