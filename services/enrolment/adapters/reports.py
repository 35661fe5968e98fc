"""What reports read: the heads of courses ("courses") and of cohort runs ("cohort_runs"), never written here.

Heads are the newest state of each aggregate (a cache the stores repair on every load): a report may
be a save behind for a moment, and reading it never competes with a writer for a version.
"""

from pymongo.asynchronous.database import AsyncDatabase

from enrolment.adapters.cohort_runs import STORE as RUNS
from enrolment.domain.cohort_run import CohortRun
from enrolment.domain.model import Course, CourseStatus
from enrolment.domain.reports import CourseRecords
from shared.persistence.mongo import Document

COURSES = "courses"


class MongoReportSource:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.courses = database[COURSES]
        self.runs = database[RUNS]

    async def course(self, course_id: str) -> CourseRecords | None:
        head = await self.courses.find_one({"_id": course_id})
        if head is None:
            return None
        course = Course.from_state(course_id, head)
        runs: dict[str, CohortRun] = {}
        for cohort in course.cohorts:  # by _id, one each: FerretDB looks up nothing else without a scan
            run = await self.runs.find_one({"_id": cohort.id})
            if run is not None and run.get("course_id") == course_id:
                runs[cohort.id] = CohortRun.from_state(cohort.id, run)
        return CourseRecords(course, runs)

    async def published(self) -> list[CourseRecords]:
        # Two scans, filtered here (FerretDB scans for any filter but _id anyway): one per report request.
        courses = [
            Course.from_state(head["_id"], head)
            async for head in self.courses.find({}).sort("_id", 1)
            if head.get("status") == CourseStatus.APPROVED.value
        ]
        wanted = {cohort.id: course.id for course in courses for cohort in course.cohorts}
        runs: dict[str, dict[str, CohortRun]] = {}
        async for head in self.runs.find({}):
            cohort_id = head["_id"]
            if wanted.get(cohort_id) == head.get("course_id"):
                runs.setdefault(head["course_id"], {})[cohort_id] = CohortRun.from_state(cohort_id, head)
        return [CourseRecords(course, runs.get(course.id, {})) for course in courses]
