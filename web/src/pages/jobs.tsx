import { PageHeader } from '../components/bits';
export function JobsPage(_props: { canAct: boolean }) {
  return <PageHeader title="Jobs" />;
}
