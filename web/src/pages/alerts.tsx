import { PageHeader } from '../components/bits';
export function AlertsPage(_props: { canAct: boolean }) {
  return <PageHeader title="Alerts" />;
}
